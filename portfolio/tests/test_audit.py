from decimal import Decimal as D

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from portfolio.audit import run_audit
from portfolio.models import Balance, CashLedgerEntry, Position
from trading.models import Order
from trading.services import order_place

pytestmark = pytest.mark.django_db


@pytest.fixture
def trades(user, stock):
    order_place(user=user, stock_code="005930", side="buy", order_type="market", quantity=10)
    order_place(user=user, stock_code="005930", side="sell", order_type="limit", quantity=4, limit_price=D("80000"))
    order_place(user=user, stock_code="005930", side="buy", order_type="limit", quantity=2, limit_price=D("60000"))
    return user


def test_clean_books_pass_and_the_command_says_so(trades, capsys):
    assert run_audit().ok
    call_command("audit_ledger")
    assert "audit ok" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("corrupt", "expected"),
    [
        (lambda u: Balance.objects.filter(user=u).update(cash=F("cash") + 5), "ledger sum"),
        (lambda u: Balance.objects.filter(user=u).update(reserved_cash=D("5")), "reserved cash"),
        (lambda u: Position.objects.filter(user=u).update(reserved_quantity=1), "open sells"),
        (lambda u: Position.objects.filter(user=u).update(quantity=11), "buys − sells"),
        (lambda u: CashLedgerEntry.objects.filter(user=u, kind="fee").delete(), "ledger sum"),
        (lambda u: Order.objects.filter(user=u, status="filled").update(filled_quantity=9), "executions"),
        (
            lambda u: Order.objects.filter(user=u, side="buy", status="pending").update(status="cancelled"),
            "still holds",
        ),
    ],
)
def test_each_kind_of_corruption_is_reported_and_fails_the_command(trades, corrupt, expected):
    corrupt(trades)
    report = run_audit()
    assert not report.ok
    assert any(expected in violation for violation in report.violations), report.violations
    with pytest.raises(CommandError, match="audit failed"):
        call_command("audit_ledger")
