from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from portfolio.models import Balance, Position
from portfolio.tests.helpers import assert_books_balance
from trading.models import Execution, Order, OrderStatus, PriceBar, Stock
from trading.services.orders import order_place
from trading.tests.factories import PriceBarFactory, StockFactory

pytestmark = pytest.mark.django_db


def staff_client(*, superuser: bool = True, perms: tuple[str, ...] = ()) -> Client:
    staff = UserFactory(username="staff" if superuser else "viewer")
    staff.is_staff, staff.is_superuser = True, superuser
    staff.save(update_fields=["is_staff", "is_superuser"])
    for codename in perms:
        staff.user_permissions.add(Permission.objects.get(codename=codename))
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def admin_http() -> Client:
    return staff_client()


@pytest.fixture
def book(stock):
    """A filled market buy, a resting limit buy and a resting limit sell of one trader."""
    trader = UserFactory(username="alice")
    filled = order_place(user=trader, stock_code=stock.code, side="buy", order_type="market", quantity=10).order
    resting_buy = order_place(
        user=trader,
        stock_code=stock.code,
        side="buy",
        order_type="limit",
        quantity=5,
        limit_price=Decimal("60000"),
        client_order_id="bot-1",
    ).order
    resting_sell = order_place(
        user=trader, stock_code=stock.code, side="sell", order_type="limit", quantity=4, limit_price=Decimal("80000")
    ).order
    PriceBarFactory(stock=stock)
    return {"trader": trader, "filled": filled, "resting_buy": resting_buy, "resting_sell": resting_sell}


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def change_page(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


@pytest.mark.parametrize("model", [Stock, PriceBar, Order, Execution])
def test_staff_can_open_the_changelist_and_a_change_page(admin_http, book, model):
    assert admin_http.get(changelist(model)).status_code == 200
    assert admin_http.get(changelist(model), {"q": "005930"}).status_code == 200
    assert admin_http.get(change_page(model.objects.first())).status_code == 200


def test_order_page_shows_its_executions_inline(admin_http, book):
    response = admin_http.get(change_page(book["filled"]))
    assert response.status_code == 200
    (inline,) = response.context["inline_admin_formsets"]
    assert [form.instance for form in inline.formset.forms] == list(book["filled"].executions.all())
    assert not inline.has_add_permission and not inline.has_delete_permission


def test_orders_executions_and_bars_cannot_be_added_changed_or_deleted(admin_http, book):
    order = book["filled"]
    for model in (Order, Execution, PriceBar):
        add_url = reverse(f"admin:trading_{model._meta.model_name}_add")
        assert admin_http.get(add_url).status_code == 403
        obj = model.objects.first()
        delete_url = reverse(f"admin:trading_{model._meta.model_name}_delete", args=[obj.pk])
        assert admin_http.get(delete_url).status_code == 403
    assert admin_http.post(change_page(order), {"status": "cancelled", "quantity": 1}).status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.FILLED


def test_order_search_finds_by_id_username_stock_code_and_client_order_id(admin_http, book):
    def found(term: str) -> set[int]:
        response = admin_http.get(changelist(Order), {"q": term})
        assert response.status_code == 200
        return {order.pk for order in response.context["cl"].result_list}

    everyone = {book["filled"].pk, book["resting_buy"].pk, book["resting_sell"].pk}
    assert found(str(book["resting_sell"].pk)) == {book["resting_sell"].pk}
    assert found("alice") == everyone
    assert found("005930") == everyone
    assert found("bot-1") == {book["resting_buy"].pk}
    assert found("nobody") == set()


def test_cancel_action_cancels_open_orders_and_releases_their_reservations(admin_http, book):
    trader = book["trader"]
    assert Balance.objects.get(user=trader).reserved_cash > 0
    selected = [book["filled"].pk, book["resting_buy"].pk, book["resting_sell"].pk]

    response = admin_http.post(
        changelist(Order), {"action": "cancel_open_orders", "_selected_action": selected}, follow=True
    )

    assert response.status_code == 200
    messages = [str(message) for message in response.context["messages"]]
    assert "Cancelled 2 orders." in messages
    assert "1 selected order was not open." in messages
    for key, status in (("filled", "filled"), ("resting_buy", "cancelled"), ("resting_sell", "cancelled")):
        book[key].refresh_from_db()
        assert book[key].status == status
    assert book["resting_buy"].reject_reason == "Cancelled by staff (staff)"
    assert book["resting_buy"].cancel_reason == "staff"
    assert Balance.objects.get(user=trader).reserved_cash == 0
    assert Position.objects.get(user=trader).reserved_quantity == 0
    assert_books_balance()


def test_staff_who_may_only_view_orders_cannot_run_the_cancel_action(book):
    viewer = staff_client(superuser=False, perms=("view_order",))
    assert viewer.get(changelist(Order)).status_code == 200

    viewer.post(changelist(Order), {"action": "cancel_open_orders", "_selected_action": [book["resting_buy"].pk]})

    book["resting_buy"].refresh_from_db()
    assert book["resting_buy"].status == OrderStatus.PENDING


def test_halt_and_resume_actions_flip_the_trading_flag(admin_http, stock):
    other = StockFactory(code="000660", is_halted=True)

    admin_http.post(changelist(Stock), {"action": "halt_trading", "_selected_action": [stock.pk, other.pk]})
    assert set(Stock.objects.values_list("code", "is_halted")) == {("005930", True), ("000660", True)}

    admin_http.post(changelist(Stock), {"action": "resume_trading", "_selected_action": [stock.pk]})
    stock.refresh_from_db()
    assert not stock.is_halted and stock.is_tradable is not False


def test_stock_change_page_edits_metadata_but_not_the_quote(admin_http, stock):
    data = {
        "name": "삼성전자(주)",
        "market": "KOSPI",
        "sector": "전기전자",
        "is_listed": "on",
        "volatility": "0.0150",
        "listed_shares": "5919637922",
        "float_ratio": "75.50",
        "current_price": "1",
        "code": "999999",
    }
    response = admin_http.post(change_page(stock), data)
    assert response.status_code == 302
    stock.refresh_from_db()
    assert (stock.code, stock.name, stock.current_price) == ("005930", "삼성전자(주)", Decimal("70000"))
    assert (stock.sector, stock.listed_shares, stock.float_ratio) == ("전기전자", 5919637922, Decimal("75.50"))


def test_stock_change_page_refuses_a_sector_off_the_krx_list(admin_http, stock):
    data = {"name": "삼성전자", "market": "KOSPI", "sector": "반도체", "volatility": "0.0150", "listed_shares": "1"}
    response = admin_http.post(change_page(stock), data)
    assert response.status_code == 200 and "sector" in response.context["adminform"].form.errors


@pytest.mark.parametrize("model", [Order, Execution, PriceBar, Stock])
def test_changelist_queries_do_not_grow_with_rows(admin_http, stock, model):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_http.get(changelist(model)).status_code == 200
        return len(captured)

    def add_rows(start: int) -> None:
        for n in range(start, start + 3):
            other = StockFactory(code=f"{100000 + n:06d}")
            PriceBarFactory(stock=other)
            trader = UserFactory()
            order_place(user=trader, stock_code=other.code, side="buy", order_type="market", quantity=1)

    add_rows(0)
    few = queries()
    add_rows(3)
    assert queries() == few
