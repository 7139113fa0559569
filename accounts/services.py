"""Writes on users: registration grants the initial virtual cash in the same transaction; API keys."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import ApiKey, Language, User
from stocking.core.exceptions import ApplicationError, NotFound


class UsernameTaken(ApplicationError):
    code = "username_taken"
    default_message = "A user with that username already exists."


class InvalidProfile(ApplicationError):
    code = "invalid_profile"
    default_message = "The profile change is not valid."


DISPLAY_NAME_MAX_LENGTH = User._meta.get_field("display_name").max_length


def user_register(*, username: str, email: str, password: str) -> User:
    """Create a user with a validated password and open their virtual balance with the initial grant."""
    # accounts sits below portfolio and watchlist; import at call time
    from portfolio.services import balance_open
    from watchlist.services import watchlist_create_default

    user = User(username=username, email=User.objects.normalize_email(email))
    validate_password(password, user=user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            balance_open(user=user)
            watchlist_create_default(user=user)
    except IntegrityError as exc:
        # Two sign-ups raced past the serializer's uniqueness check; the unique index decided.
        raise UsernameTaken("A user with that username or email already exists.") from exc
    return user


def user_update_profile(
    *,
    user: User,
    display_name: str | None = None,
    show_on_leaderboard: bool | None = None,
    language: str | None = None,
) -> User:
    """Change what a user may change about themselves: display name, leaderboard opt-in, language."""
    if display_name is not None:
        display_name = display_name.strip()
        if len(display_name) > DISPLAY_NAME_MAX_LENGTH:
            raise InvalidProfile(f"A display name has at most {DISPLAY_NAME_MAX_LENGTH} characters.")
    if language is not None and language not in Language.values:
        raise InvalidProfile(f"Language must be one of {', '.join(Language.values)}.")
    changes = {"display_name": display_name, "show_on_leaderboard": show_on_leaderboard, "language": language}
    fields = [name for name, value in changes.items() if value is not None]
    for name in fields:
        setattr(user, name, changes[name])
    if fields:
        user.save(update_fields=fields)
    return user


# --- API keys (the Alpaca-compatible API authenticates bots with them)

MAX_LIVE_API_KEYS = 10
API_KEY_NAME_MAX_LENGTH = ApiKey._meta.get_field("name").max_length
KEY_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # base32, as Alpaca's key ids
LAST_USED_GRANULARITY = timedelta(minutes=1)


class ApiKeyLimit(ApplicationError):
    code = "api_key_limit"
    status_code = 409
    default_message = f"You can keep at most {MAX_LIVE_API_KEYS} live API keys; revoke one first."


class InvalidApiKeyName(ApplicationError):
    code = "invalid_api_key_name"
    default_message = f"An API key needs a name of 1 to {API_KEY_NAME_MAX_LENGTH} characters."


@dataclass(frozen=True)
class CreatedApiKey:
    key: ApiKey
    secret: str  # the only time it exists outside the caller's hands


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_key_id() -> str:
    return "PK" + "".join(secrets.choice(KEY_ID_ALPHABET) for _ in range(18))


def api_key_create(*, user: User, name: str) -> CreatedApiKey:
    """A new key with a fresh secret; the secret is returned once and only its digest is stored."""
    name = name.strip()
    if not 1 <= len(name) <= API_KEY_NAME_MAX_LENGTH:
        raise InvalidApiKeyName()
    secret = secrets.token_urlsafe(30)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                # Lock the user row so two creations racing past the count cannot make an eleventh key.
                User.objects.select_for_update().filter(pk=user.pk).values_list("pk").first()
                if ApiKey.objects.filter(user=user, revoked_at__isnull=True).count() >= MAX_LIVE_API_KEYS:
                    raise ApiKeyLimit()
                key = ApiKey.objects.create(
                    user=user, name=name, key_id=_new_key_id(), secret_hash=secret_digest(secret)
                )
        except IntegrityError:
            continue  # a key id drawn twice (90 random bits): draw again
        return CreatedApiKey(key, secret)
    raise AssertionError("could not draw a unique key id")


def api_key_revoke(*, user: User, api_key_id: int) -> ApiKey:
    """Revoke one of the user's live keys; another user's key, or one already revoked, is not found."""
    key = ApiKey.objects.filter(user=user, pk=api_key_id, revoked_at__isnull=True).first()
    if key is None:
        raise NotFound("No such API key.")
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    return key


def api_key_authenticate(*, key_id: str, secret: str) -> User | None:
    """The active user a live key and its secret belong to, else None.

    One SELECT (the key joined with its user), plus an UPDATE of last_used_at when the stored one is
    a minute old or more; the UPDATE re-checks that, so workers racing on one key write it once.
    """
    key = ApiKey.objects.select_related("user").filter(key_id=key_id, revoked_at__isnull=True).first()
    if key is None or not hmac.compare_digest(key.secret_hash, secret_digest(secret)):
        return None
    if not key.user.is_active:
        return None
    now = timezone.now()
    stale = now - LAST_USED_GRANULARITY
    if key.last_used_at is None or key.last_used_at <= stale:
        ApiKey.objects.filter(pk=key.pk).filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale)).update(
            last_used_at=now
        )
    return key.user
