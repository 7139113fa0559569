from django.db import migrations
from django.db.models import Sum

# Frozen: capital as DESIGN defines it (grant, deposits, top-ups, withdrawals, refunds).
CAPITAL_KINDS = ["initial_grant", "deposit", "withdrawal", "topup", "refund"]


def recompute(apps, schema_editor):
    """net_capital = the last reset's cash (or 0) + the capital moved in since, without adjustments."""
    Balance = apps.get_model("portfolio", "Balance")
    AccountReset = apps.get_model("portfolio", "AccountReset")
    CashLedgerEntry = apps.get_model("portfolio", "CashLedgerEntry")
    for balance in Balance.objects.all().iterator():
        last = AccountReset.objects.filter(user_id=balance.user_id).order_by("-id").first()
        flows = CashLedgerEntry.objects.filter(user_id=balance.user_id, kind__in=CAPITAL_KINDS)
        if last is not None:
            flows = flows.filter(id__gt=last.last_ledger_entry_id)
        total = (last.cash_after if last else 0) + (flows.aggregate(total=Sum("amount"))["total"] or 0)
        if balance.net_capital != total:
            Balance.objects.filter(pk=balance.pk).update(net_capital=total)


class Migration(migrations.Migration):
    dependencies = [("portfolio", "0003_backfill_net_capital")]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
