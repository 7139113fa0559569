"""The back office's "adjust balance" action: a form asking a signed amount and a reason, then one
ledgered adjustment per selected balance in the staff user's name. Never a raw edit."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import UserFactory
from portfolio.models import Balance, CashLedgerEntry, LedgerKind
from portfolio.tests.helpers import assert_books_balance
from trading.services.orders import order_place

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/portfolio/balance/"


@pytest.fixture
def staff():
    user = UserFactory(username="staff")
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return user


@pytest.fixture
def admin_http(staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client


def balances(*usernames: str) -> list[int]:
    return [Balance.objects.get(user__username=name).pk for name in usernames]


def test_the_action_first_asks_for_an_amount_and_a_reason(admin_http):
    UserFactory(username="alice")
    response = admin_http.post(CHANGELIST, {"action": "adjust_balance", "_selected_action": balances("alice")})
    assert response.status_code == 200
    assert response.templates[0].name == "admin/portfolio/balance/adjust_balance.html"
    html = response.content.decode()
    assert 'name="amount"' in html and 'name="reason"' in html and 'name="apply"' in html
    assert not CashLedgerEntry.objects.filter(kind=LedgerKind.ADJUSTMENT).exists()


def test_applying_posts_a_ledgered_adjustment_per_balance_recording_the_staff_user(admin_http, staff):
    UserFactory(username="alice")
    UserFactory(username="bob")
    response = admin_http.post(
        CHANGELIST,
        {
            "action": "adjust_balance",
            "_selected_action": balances("alice", "bob"),
            "apply": "1",
            "amount": "-2500000",
            "reason": "Reversing a duplicated promotion credit",
        },
        follow=True,
    )

    assert response.redirect_chain == [(CHANGELIST, 302)]
    assert any("-2,500,000" in str(message) for message in response.context["messages"])
    for name in ("alice", "bob"):
        assert Balance.objects.get(user__username=name).cash == Decimal("7500000")
        entry = CashLedgerEntry.objects.get(user__username=name, kind=LedgerKind.ADJUSTMENT)
        assert (entry.amount, entry.created_by, entry.memo) == (
            Decimal("-2500000"),
            staff,
            "Reversing a duplicated promotion credit",
        )
    assert_books_balance()


@pytest.mark.parametrize(
    "fields",
    [{"amount": "0", "reason": "x"}, {"amount": "1000", "reason": "  "}, {"amount": "12.5", "reason": "x"}, {}],
)
def test_a_zero_fractional_or_unexplained_adjustment_is_sent_back_to_the_form(admin_http, fields):
    UserFactory(username="alice")
    data = {"action": "adjust_balance", "_selected_action": balances("alice"), "apply": "1", **fields}
    response = admin_http.post(CHANGELIST, data)
    assert response.status_code == 200 and response.context["form"].errors
    assert not CashLedgerEntry.objects.filter(kind=LedgerKind.ADJUSTMENT).exists()


def test_a_debit_beyond_available_cash_is_refused_for_that_user_only(admin_http, stock):
    alice = UserFactory(username="alice")
    UserFactory(username="bob")
    # Alice's 10,000,000 is mostly held by a resting buy; only the rest may be taken away.
    order_place(
        user=alice, stock_code=stock.code, side="buy", order_type="limit", quantity=140, limit_price=Decimal("60000")
    )
    response = admin_http.post(
        CHANGELIST,
        {
            "action": "adjust_balance",
            "_selected_action": balances("alice", "bob"),
            "apply": "1",
            "amount": "-5000000",
            "reason": "test",
        },
        follow=True,
    )
    messages = [str(message) for message in response.context["messages"]]
    assert any(message.startswith("alice:") for message in messages)
    assert Balance.objects.get(user__username="bob").cash == Decimal("5000000")
    assert not CashLedgerEntry.objects.filter(user=alice, kind=LedgerKind.ADJUSTMENT).exists()
    assert_books_balance()


def test_staff_who_may_only_view_balances_cannot_adjust(staff):
    from django.contrib.auth.models import Permission

    viewer = UserFactory(username="viewer")
    viewer.is_staff = True
    viewer.save(update_fields=["is_staff"])
    viewer.user_permissions.add(Permission.objects.get(codename="view_balance"))
    client = Client()
    client.force_login(viewer)
    UserFactory(username="alice")
    assert client.get(CHANGELIST).status_code == 200
    client.post(
        CHANGELIST,
        {"action": "adjust_balance", "_selected_action": balances("alice"), "apply": "1", "amount": "5", "reason": "x"},
    )
    assert not CashLedgerEntry.objects.filter(kind=LedgerKind.ADJUSTMENT).exists()


def test_non_staff_users_get_nothing_from_the_back_office():
    alice = UserFactory(username="alice")
    client = Client()
    client.force_login(alice)
    for path in ("/admin/", CHANGELIST, reverse("admin:portfolio_cashledgerentry_changelist")):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    client.post(
        CHANGELIST,
        {"action": "adjust_balance", "_selected_action": balances("alice"), "apply": "1", "amount": "9", "reason": "x"},
    )
    assert not CashLedgerEntry.objects.filter(kind=LedgerKind.ADJUSTMENT).exists()
    assert Client().get(CHANGELIST)["Location"].startswith("/admin/login/")
