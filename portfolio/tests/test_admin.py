from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from portfolio.models import Balance, CashLedgerEntry, LedgerKind, Position
from portfolio.services import balance_deposit
from trading.services.orders import order_place
from trading.tests.factories import StockFactory

pytestmark = pytest.mark.django_db
MODELS = [Balance, CashLedgerEntry, Position]


@pytest.fixture
def admin_http() -> Client:
    staff = UserFactory(username="staff")
    staff.is_staff = staff.is_superuser = True
    staff.save(update_fields=["is_staff", "is_superuser"])
    client = Client()
    client.force_login(staff)
    return client


def trader_with_a_position(username: str, code: str) -> None:
    trader = UserFactory(username=username)
    StockFactory(code=code, current_price=Decimal("70000"))
    order_place(user=trader, stock_code=code, side="buy", order_type="market", quantity=3)


@pytest.fixture
def books() -> None:
    trader_with_a_position("alice", "005930")
    balance_deposit(user=UserFactory(username="bob"), amount=Decimal("50000"))


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", MODELS)
def test_staff_can_open_the_changelist_and_a_change_page(admin_http, books, model):
    assert admin_http.get(url(model, "changelist")).status_code == 200
    assert admin_http.get(url(model, "changelist"), {"q": "alice"}).status_code == 200
    assert admin_http.get(url(model, "change", model.objects.first().pk)).status_code == 200


@pytest.mark.parametrize("model", MODELS)
def test_cash_ledger_and_holdings_cannot_be_added_changed_or_deleted(admin_http, books, model):
    obj = model.objects.first()
    assert admin_http.get(url(model, "add")).status_code == 403
    assert admin_http.post(url(model, "add"), {"amount": "1000000"}).status_code == 403
    assert admin_http.post(url(model, "change", obj.pk), {"cash": "99999999", "amount": "1"}).status_code == 403
    assert admin_http.get(url(model, "delete", obj.pk)).status_code == 403
    assert admin_http.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


def test_no_delete_action_is_offered_on_the_ledger(admin_http, books):
    response = admin_http.get(url(CashLedgerEntry, "changelist"))
    assert "delete_selected" not in response.context["cl"].model_admin.get_actions(response.wsgi_request)


def test_balance_changelist_shows_available_cash(admin_http, books):
    response = admin_http.get(url(Balance, "changelist"), {"q": "alice"})
    (balance,) = response.context["cl"].result_list
    assert balance.user.username == "alice"
    assert response.context["cl"].model_admin.available(balance) == balance.cash - balance.reserved_cash


def test_ledger_filters_by_kind_and_searches_username_and_reference(admin_http, books):
    CashLedgerEntry.objects.filter(kind=LedgerKind.DEPOSIT).update(reference="pay-42")

    def found(**params) -> set[tuple[str, str]]:
        response = admin_http.get(url(CashLedgerEntry, "changelist"), params)
        assert response.status_code == 200
        return {(entry.user.username, entry.kind) for entry in response.context["cl"].result_list}

    assert found(kind="fee") == {("alice", "fee")}
    assert found(q="bob") == {("bob", "initial_grant"), ("bob", "deposit")}
    assert found(q="pay-42") == {("bob", "deposit")}


@pytest.mark.parametrize("model", MODELS)
def test_changelist_queries_do_not_grow_with_rows(admin_http, model):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_http.get(url(model, "changelist")).status_code == 200
        return len(captured)

    for n in range(3):
        trader_with_a_position(f"first{n}", f"{100000 + n:06d}")
    few = queries()
    for n in range(3):
        trader_with_a_position(f"second{n}", f"{200000 + n:06d}")
    assert queries() == few
    assert Position.objects.count() == 6
