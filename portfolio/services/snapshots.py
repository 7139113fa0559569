"""Daily points of the equity curve: every user's cash and holdings at current prices, one upsert."""

from datetime import date

from django.db import connection
from django.db.models import DecimalField, F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from accounts.models import User
from portfolio.models import Balance, PortfolioSnapshot, Position
from stocking.core.db import atomic_with_retry
from stocking.core.money import ZERO

MONEY = DecimalField(max_digits=18, decimal_places=2)
UPDATED = ["cash", "holdings_value", "total_value", "net_capital", "updated_at"]


@atomic_with_retry
def snapshots_write(*, on: date, users: list[User] | None = None) -> int:
    """Write (or overwrite) the snapshot dated `on` for every user with a balance, or for `users`.

    Idempotent per user and date (a unique constraint and an upsert): the latest run wins, so the
    day roll can overwrite a snapshot an account reset wrote earlier the same day.
    """
    price = Coalesce("stock__current_price", "average_price")
    holdings = (
        Position.objects.filter(user_id=OuterRef("user_id"))
        .order_by()
        .values("user_id")
        .annotate(value=Sum(F("quantity") * price, output_field=MONEY))
        .values("value")
    )
    balances = Balance.objects.annotate(holdings=Coalesce(Subquery(holdings), ZERO, output_field=MONEY))
    if users is not None:
        balances = balances.filter(user_id__in=[u.pk for u in users])
    rows = [
        PortfolioSnapshot(
            user_id=user_id, date=on, cash=cash, holdings_value=value, total_value=cash + value, net_capital=net_capital
        )
        # One statement for cash and holdings alike: each account's two are read as of one moment.
        for user_id, cash, net_capital, value in balances.values_list("user_id", "cash", "net_capital", "holdings")
    ]
    # MySQL/MariaDB upsert on any unique key and refuse a named target; SQLite/PostgreSQL need one.
    target = ["user", "date"] if connection.features.supports_update_conflicts_with_target else None
    PortfolioSnapshot.objects.bulk_create(
        rows, batch_size=500, update_conflicts=True, unique_fields=target, update_fields=UPDATED
    )
    return len(rows)
