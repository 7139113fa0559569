"""Back-office additions on orders (stock and date filters) and the staff-only rule for every
trading admin page and action."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from accounts.tests.factories import UserFactory
from trading.models import Order, OrderStatus, Stock
from trading.services.orders import order_place
from trading.tests.factories import StockFactory

pytestmark = pytest.mark.django_db
ORDERS = "/admin/trading/order/"


@pytest.fixture
def admin_http() -> Client:
    staff = UserFactory(username="staff")
    staff.is_staff = staff.is_superuser = True
    staff.save(update_fields=["is_staff", "is_superuser"])
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def orders(stock) -> dict[str, Order]:
    other = StockFactory(code="000660", current_price=Decimal("200000"))
    alice = UserFactory(username="alice")
    old = order_place(user=alice, stock_code="005930", side="buy", order_type="market", quantity=1).order
    Order.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    resting = order_place(
        user=alice, stock_code="000660", side="buy", order_type="limit", quantity=1, limit_price=Decimal("190000")
    ).order
    sold = order_place(user=alice, stock_code="005930", side="sell", order_type="market", quantity=1).order
    return {"old": old, "resting": resting, "sold": sold, "other": other}


def listed(client: Client, **params) -> set[int]:
    response = client.get(ORDERS, params)
    assert response.status_code == 200
    return {order.pk for order in response.context["cl"].result_list}


def test_orders_filter_by_status_side_stock_and_date(admin_http, orders):
    assert listed(admin_http, status__exact="pending") == {orders["resting"].pk}
    assert listed(admin_http, side__exact="sell") == {orders["sold"].pk}
    assert listed(admin_http, stock__id__exact=orders["other"].pk) == {orders["resting"].pk}
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    since, until = midnight - timedelta(days=7), midnight + timedelta(days=1)  # what "Past 7 days" links to
    recent = listed(admin_http, created_at__gte=str(since), created_at__lt=str(until))
    assert recent == {orders["resting"].pk, orders["sold"].pk}


def test_order_filters_offer_only_stocks_that_have_orders(admin_http, orders):
    StockFactory(code="123456", name="No Orders Corp")
    html = admin_http.get(ORDERS).content.decode()
    assert "No Orders Corp" not in html and "stock__id__exact" in html
    assert "created_at__gte" in html


@pytest.mark.parametrize(
    "path", ["/admin/trading/stock/", ORDERS, "/admin/trading/execution/", "/admin/trading/pricebar/"]
)
def test_non_staff_users_get_nothing_from_trading_admin(path, orders):
    client = Client()
    client.force_login(UserFactory(username="mallory"))
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_non_staff_users_cannot_run_trading_admin_actions(orders, stock):
    client = Client()
    client.force_login(UserFactory(username="mallory"))
    client.post("/admin/trading/stock/", {"action": "halt_trading", "_selected_action": [stock.pk]})
    client.post(ORDERS, {"action": "cancel_open_orders", "_selected_action": [orders["resting"].pk]})
    assert not Stock.objects.get(pk=stock.pk).is_halted
    orders["resting"].refresh_from_db()
    assert orders["resting"].status == OrderStatus.PENDING


def test_staff_without_permissions_get_403(orders):
    client = Client()
    clerk = UserFactory(username="clerk")
    clerk.is_staff = True
    clerk.save(update_fields=["is_staff"])
    client.force_login(clerk)
    assert client.get(ORDERS).status_code == 403
    assert client.get("/admin/portfolio/balance/").status_code == 403
