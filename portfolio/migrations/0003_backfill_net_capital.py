from django.db import migrations
from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

# Frozen here: the migration must not change if the model's CAPITAL_KINDS changes later.
CAPITAL_KINDS = ["initial_grant", "deposit", "withdrawal", "topup", "refund", "adjustment"]


def backfill(apps, schema_editor):
    Balance = apps.get_model("portfolio", "Balance")
    CashLedgerEntry = apps.get_model("portfolio", "CashLedgerEntry")
    capital = (
        CashLedgerEntry.objects.filter(user_id=OuterRef("user_id"), kind__in=CAPITAL_KINDS)
        .order_by()
        .values("user_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    Balance.objects.update(net_capital=Coalesce(Subquery(capital), 0))


class Migration(migrations.Migration):
    dependencies = [("portfolio", "0002_analytics_reset_snapshots")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
