"""The opt-in ranking by total return since each user's last reset.

One query reads every ranked account's cash, holdings at current prices and net capital; the
ranking itself is done in Decimal, so it is the same on every database (MariaDB computes a
DECIMAL division at six digits and SQLite divides integer-valued NUMERICs as integers).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import DecimalField, F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from accounts.models import User
from portfolio.models import AccountReset
from stocking.core.money import ZERO, rate_percent

MONEY = DecimalField(max_digits=18, decimal_places=2)


@dataclass(frozen=True)
class LeaderboardRow:
    rank: int
    display_name: str
    total_return_rate: Decimal
    since: datetime | None
    is_you: bool


def _ranked_accounts():
    price = Coalesce("positions__stock__current_price", "positions__average_price")
    since = AccountReset.objects.filter(user_id=OuterRef("pk")).order_by("-id").values("created_at")[:1]
    return (
        User.objects.filter(
            show_on_leaderboard=True,
            is_active=True,
            # A return on a few won of capital (everything else withdrawn) would top any honest one.
            balance__net_capital__gte=settings.LEADERBOARD_MIN_CAPITAL,
        )
        .annotate(
            holdings=Coalesce(Sum(F("positions__quantity") * price, output_field=MONEY), ZERO, output_field=MONEY),
            since=Subquery(since),
        )
        .select_related("balance")
        .order_by("pk")
    )


def leaderboard(*, viewer: User | None = None) -> list[LeaderboardRow]:
    """Ranked best first by the return as shown (percent, two decimals): equal rates share a rank
    and keep sign-up order, so pages never reshuffle between requests. Display names only: the
    username is a login credential and never leaves the account."""
    scored = []
    for user in _ranked_accounts():
        balance = user.balance
        rate = rate_percent(balance.cash + user.holdings - balance.net_capital, balance.net_capital)
        scored.append((rate, user))
    scored.sort(key=lambda pair: (-pair[0], pair[1].pk))
    rows, rank, previous = [], 0, None
    for position, (rate, user) in enumerate(scored, start=1):
        if rate != previous:
            rank, previous = position, rate
        rows.append(
            LeaderboardRow(
                rank=rank,
                display_name=user.public_name,
                total_return_rate=rate,
                since=user.since,
                is_you=viewer is not None and viewer.pk == user.pk,
            )
        )
    return rows
