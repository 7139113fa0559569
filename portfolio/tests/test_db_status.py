import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.tests.factories import UserFactory
from portfolio.models import Balance
from trading.models import PriceBar
from trading.services.orders import order_place
from trading.tests.factories import PriceBarFactory, StockFactory

pytestmark = pytest.mark.django_db


def db_status(*args: str) -> str:
    out = io.StringIO()
    call_command("db_status", *args, stdout=out)
    return out.getvalue()


def test_db_status_on_an_empty_database_reports_zero_counts_and_clean_books():
    output = db_status()

    assert f"Database: {connection.vendor}" in output
    assert "Users: 0 (0 staff)" in output
    assert "Stocks: 0 (0 tradable, 0 halted, 0 delisted)" in output
    assert "Orders: 0 (pending 0, partially_filled 0, filled 0" in output
    assert "Integrity: OK" in output


def test_db_status_counts_rows_by_kind_and_totals_cash():
    alice, bob = UserFactory(), UserFactory()
    StockFactory(code="005930", current_price=Decimal("70000"))
    StockFactory(code="000660", current_price=Decimal("500000"), is_halted=True)
    stock = StockFactory(code="035720", current_price=Decimal("50000"))
    PriceBarFactory(stock=stock)
    PriceBarFactory(stock=stock, interval=PriceBar.Interval.MINUTE)
    order_place(user=alice, stock_code="005930", side="buy", order_type="market", quantity=10)
    order_place(user=bob, stock_code="005930", side="buy", order_type="limit", quantity=1, limit_price=Decimal("60000"))

    output = db_status()

    assert "Users: 2 (0 staff)" in output
    assert "Stocks: 3 (2 tradable, 1 halted, 0 delisted)" in output
    assert "Price bars: 2 (1m 1, 1d 1)" in output
    assert "Orders: 2 (pending 1, partially_filled 0, filled 1, cancelled 0" in output
    assert "Executions: 1" in output
    # Two initial grants, then alice's buy and its commission.
    assert "Cash ledger entries: 4" in output
    assert "Positions: 1" in output
    assert "Balances: 2" in output
    # 20,000,000 granted − 700,000 − 105 commission; bob's limit buy holds 60,000 + 9 commission.
    assert "Cash: 19,299,895 KRW total, 60,009 reserved, 19,239,886 available" in output
    assert "Integrity: OK (balances 2, positions 1" in output


def test_db_status_lists_integrity_violations():
    user = UserFactory()
    # A raw edit behind the ledger's back: exactly what the integrity summary exists to catch.
    Balance.objects.filter(user=user).update(cash=Decimal("123"))

    output = db_status()

    reported = re.search(r"Integrity: (\d+) violation\(s\)", output)
    listed = [line for line in output.splitlines() if line.startswith("  ")]
    assert reported and int(reported.group(1)) == len(listed) >= 1
    assert all(line.startswith(f"  user {user.pk}:") and "cash 123" in line for line in listed)


def test_db_status_can_skip_the_audit():
    assert "Integrity: not checked" in db_status("--skip-audit")
