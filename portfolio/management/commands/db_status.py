import sqlite3
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.db.models import Count, Q, Sum

from accounts.models import User
from portfolio.audit import run_audit
from portfolio.models import Balance, CashLedgerEntry, Position
from trading.models import TRADABLE, Execution, Order, OrderStatus, PriceBar, Stock

VIOLATIONS_SHOWN = 20


def _database_line() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite {sqlite3.sqlite_version} {settings['NAME']}"
    if connection.vendor == "mysql":
        server = "MariaDB" if connection.mysql_is_mariadb else "MySQL"
        version = ".".join(str(part) for part in connection.mysql_version)
        where = f"{settings.get('HOST') or 'localhost'}:{settings.get('PORT') or 3306}"
        return f"mysql ({server} {version}) {settings['NAME']} @ {where}"
    return f"{connection.vendor} {settings['NAME']}"


def _breakdown(counts: dict[str, int], keys) -> str:
    return ", ".join(f"{key} {counts.get(key, 0):,}" for key in keys)


class Command(BaseCommand):
    help = "Print the database in use, row counts, cash totals and the ledger integrity summary (read-only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--skip-audit", action="store_true", help="Counts only; skip the integrity audit.")

    def handle(self, *args, skip_audit: bool, **options) -> None:
        verbosity = options["verbosity"]
        write = self.stdout.write
        write(f"Database: {_database_line()}")

        users = User.objects.aggregate(total=Count("id"), staff=Count("id", filter=Q(is_staff=True)))
        write(f"Users: {users['total']:,} ({users['staff']:,} staff)")

        stocks = Stock.objects.aggregate(
            total=Count("id"),
            tradable=Count("id", filter=TRADABLE),
            halted=Count("id", filter=Q(is_halted=True)),
            delisted=Count("id", filter=Q(is_listed=False)),
        )
        write(
            f"Stocks: {stocks['total']:,} ({stocks['tradable']:,} tradable, {stocks['halted']:,} halted, "
            f"{stocks['delisted']:,} delisted)"
        )

        bars = dict(PriceBar.objects.order_by().values_list("interval").annotate(n=Count("id")))
        write(f"Price bars: {sum(bars.values()):,} ({_breakdown(bars, PriceBar.Interval.values)})")

        orders = dict(Order.objects.order_by().values_list("status").annotate(n=Count("id")))
        write(f"Orders: {sum(orders.values()):,} ({_breakdown(orders, OrderStatus.values)})")
        write(f"Executions: {Execution.objects.count():,}")
        write(f"Cash ledger entries: {CashLedgerEntry.objects.count():,}")
        write(f"Positions: {Position.objects.count():,}")

        cash = Balance.objects.aggregate(n=Count("id"), cash=Sum("cash"), reserved=Sum("reserved_cash"))
        total, reserved = cash["cash"] or Decimal("0"), cash["reserved"] or Decimal("0")
        write(f"Balances: {cash['n']:,}")
        write(f"Cash: {total:,.0f} KRW total, {reserved:,.0f} reserved, {total - reserved:,.0f} available")

        if skip_audit:
            write("Integrity: not checked (--skip-audit)")
            return
        report = run_audit()
        checked = ", ".join(f"{name} {rows:,}" for name, rows in report.checks.items())
        if report.ok:
            write(self.style.SUCCESS(f"Integrity: OK ({checked})"))
            return
        write(self.style.ERROR(f"Integrity: {len(report.violations)} violation(s) ({checked})"))
        shown = report.violations if verbosity > 1 else report.violations[:VIOLATIONS_SHOWN]
        for violation in shown:
            write(f"  {violation}")
        if len(shown) < len(report.violations):
            write(f"  … {len(report.violations) - len(shown)} more (-v 2 lists all; audit_ledger exits non-zero)")
