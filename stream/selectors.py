"""The stream's reads for one connection (sync; consumers call them through database_sync_to_async):
who a token or a session belongs to, a user's latest seq and the events after a seq."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError

from portfolio.models import Balance
from stream.outbox_reader import Event
from trading.models import OrderEvent


@dataclass(frozen=True)
class TokenUser:
    user_id: int
    expires_at: float  # epoch seconds


def token_user(raw: str) -> TokenUser | None:
    """The active user of a valid access token (a refresh token or an expired one is no good)."""
    auth = JWTAuthentication()
    try:
        token = auth.get_validated_token(raw.encode())
        user = auth.get_user(token)
    except (InvalidToken, AuthenticationFailed, TokenError):
        return None
    if not user.is_active:
        return None
    return TokenUser(user.pk, float(token["exp"]))


def active_user_id(user_id: int) -> int | None:
    return get_user_model().objects.filter(pk=user_id, is_active=True).values_list("pk", flat=True).first()


def latest_seq(user_id: int) -> int:
    """The seq of the user's newest order event (0 before any), from the counter on their balance."""
    return Balance.objects.filter(user_id=user_id).values_list("event_seq", flat=True).first() or 0


def events_after(user_id: int, seq: int, limit: int) -> list[Event]:
    rows = (
        OrderEvent.objects.filter(user_id=user_id, seq__gt=seq)
        .order_by("seq")
        .values_list("id", "user_id", "seq", "event", "payload")[:limit]
    )
    return [Event(*row) for row in rows]
