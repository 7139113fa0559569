"""Writes on users: registration grants the initial virtual cash in the same transaction."""

from django.contrib.auth.password_validation import validate_password
from django.db import IntegrityError, transaction

from accounts.models import Language, User
from stocking.core.exceptions import ApplicationError


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
