"""The opt-in ranking by total return since each user's last reset, computed in one SQL query."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import DecimalField, F, FloatField, OuterRef, QuerySet, Subquery, Sum, Window
from django.db.models.functions import Cast, Coalesce, Rank

from accounts.models import User
from portfolio.models import AccountReset
from stocking.core.money import ZERO, rate_percent

MONEY = DecimalField(max_digits=18, decimal_places=2)


def leaderboard_queryset() -> QuerySet[User]:
    """Users who opted in, ranked by (cash + holdings − net capital) / net capital, best first.

    Ties share a rank and are listed in sign-up order, so pages never reshuffle between requests.
    Accounts with no capital in (everything withdrawn) have no return to rank and are left out.
    """
    price = Coalesce("positions__stock__current_price", "positions__average_price")
    holdings = Coalesce(Sum(F("positions__quantity") * price, output_field=MONEY), ZERO, output_field=MONEY)
    # Ranked in floating point: SQLite divides integer-valued NUMERICs as integers, which would tie
    # everyone between two whole percents. The exact rate shown is computed in Decimal afterwards.
    capital = Cast("balance__net_capital", FloatField())
    ranking = (Cast("balance__cash", FloatField()) + Cast(F("holdings"), FloatField()) - capital) / capital
    since = AccountReset.objects.filter(user_id=OuterRef("pk")).order_by("-id").values("created_at")[:1]
    return (
        User.objects.filter(show_on_leaderboard=True, is_active=True, balance__net_capital__gt=0)
        .annotate(holdings=holdings)
        .annotate(ranking=ranking, since=Subquery(since))
        .annotate(rank=Window(Rank(), order_by=F("ranking").desc()))
        .select_related("balance")
        .order_by("-ranking", "pk")
    )


@dataclass(frozen=True)
class LeaderboardRow:
    rank: int
    display_name: str
    total_return_rate: Decimal | None
    since: datetime | None
    is_you: bool


def leaderboard_rows(users: list[User], *, viewer: User | None = None) -> list[LeaderboardRow]:
    """Display names only: the username is a login credential and never leaves the account."""
    rows = []
    for user in users:
        total = user.balance.cash + user.holdings
        rows.append(
            LeaderboardRow(
                rank=user.rank,
                display_name=user.public_name,
                total_return_rate=rate_percent(total - user.balance.net_capital, user.balance.net_capital),
                since=user.since,
                is_you=viewer is not None and viewer.pk == user.pk,
            )
        )
    return rows
