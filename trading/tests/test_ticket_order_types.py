"""Every order type through the stock page's ticket, the stop-loss / take-profit form, and the orders
page's view of stops (type, stop, trail and mark, triggered, the pair, why it was cancelled, modify)
through Django's test client: each domain error next to its field, never a server error on junk."""

from decimal import Decimal as D

import pytest
from django.test import Client

from portfolio.models import Position
from portfolio.tests.helpers import assert_books_balance
from trading.models import Order, OrderStatus, Stock
from trading.services import order_place
from trading.services.oco_orders import oco_place
from trading.services.order_types import InvalidOrderType
from trading.services.triggers import stops_trigger

pytestmark = pytest.mark.django_db
PAGE = "/market/005930/"
OCO = "/market/005930/oco/"


@pytest.fixture
def trader(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"  # the texts below are the English ones
    return client


@pytest.fixture
def holder(user, stock):
    order_place(user=user, stock_code="005930", side="buy", order_type="market", quantity=10)
    return user


def ticket(**fields) -> dict:
    return {"side": "buy", "order_type": "limit", "quantity": "10", "time_in_force": "day", **fields}


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def html_of(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


def place(trader, **fields):
    response = trader.post(PAGE, ticket(**fields), follow=True)
    assert response.redirect_chain == [(PAGE, 302)], response.context["form"].errors
    return Order.objects.order_by("-pk").first(), messages_of(response)[-1]


# --- the ticket offers every type and time in force


def test_ticket_offers_every_type_grouped_with_explanations_and_every_time_in_force(trader, stock):
    html = trader.get(PAGE).content.decode()
    types = ["limit", "market", "best_limit", "best_own", "conditional_limit", "stop", "stop_limit", "trailing_stop"]
    positions = [html.index(f'name="order_type" value="{value}"') for value in types]
    assert positions == sorted(positions)
    assert html.count('class="segmented segmented-types" role="group"') == 3
    for value in types:
        assert f'data-type-help="{value}"' in html
    for value in ("day", "gtc", "ioc", "fok"):
        assert f'<option value="{value}"' in html
    for name in ("stop_price", "trail_price", "trail_percent", "limit_price"):
        assert f'name="{name}"' in html
    # The boxes show by type from the services' tables (stocking.css shows for-<type> boxes).
    assert 'class="field type-dependent for-stop for-stop_limit"' in html
    assert 'class="field type-dependent for-limit for-conditional_limit for-stop_limit"' in html
    assert 'id="order-type-rules" type="application/json"' in html
    rules = trader.get(PAGE).context["order_type_rules"]
    assert rules["conditional_limit"]["tif"] == ["day"] and rules["stop"]["tif"] == ["day", "gtc"]
    assert rules["market"]["tif"] == ["day", "gtc", "ioc", "fok"]
    assert rules["trailing_stop"] == {
        "tif": ["day", "gtc"],
        "limit": False,
        "stop": False,
        "trail": True,
        "held_at_upper": True,
    }


def test_ticket_labels_are_korean_by_default(trader, stock):
    del trader.cookies["django_language"]
    html = trader.get(PAGE).content.decode()
    for label in ("최유리지정가", "최우선지정가", "조건부지정가", "스톱 지정가", "트레일링 스톱", "IOC", "FOK"):
        assert label in html


# --- placing each type


def test_best_limit_takes_the_current_price_and_fills_at_once(trader, user, stock):
    order, message = place(trader, order_type="best_limit", limit_price="12345")
    assert (order.order_type, order.limit_price, order.status) == ("best_limit", D("70000"), OrderStatus.FILLED)
    assert "filled" in message and "70,000" in message


@pytest.mark.parametrize(("side", "limit"), [("buy", "69900"), ("sell", "70100")])
def test_best_own_rests_one_tick_from_the_price_on_its_side(trader, holder, side, limit):
    order, message = place(trader, side=side, order_type="best_own", quantity="3")
    assert (order.order_type, order.limit_price, order.status) == ("best_own", D(limit), OrderStatus.PENDING)
    assert "waiting to fill" in message


def test_conditional_limit_rests_and_a_buy_is_held_at_the_upper_limit(trader, stock):
    order, _message = place(trader, order_type="conditional_limit", limit_price="65000")
    assert (order.order_type, order.limit_price, order.status) == ("conditional_limit", D("65000"), "pending")
    assert order.reserve_price == D("91000")
    assert_books_balance()


def test_stop_sell_waits_below_the_price(trader, holder):
    order, message = place(trader, side="sell", order_type="stop", stop_price="65000", limit_price="70000")
    assert (order.order_type, order.stop_price, order.limit_price) == ("stop", D("65000"), None)
    assert (order.status, order.triggered_at, order.reserved_quantity) == ("pending", None, 10)
    assert "once the price reaches ₩65,000" in message


def test_stop_buy_is_held_at_the_upper_limit(trader, stock):
    order, _message = place(trader, order_type="stop", stop_price="75000", time_in_force="gtc")
    assert (order.stop_price, order.reserve_price, order.time_in_force) == (D("75000"), D("91000"), "gtc")


def test_stop_limit_buy_is_held_at_its_limit(trader, stock):
    order, message = place(trader, order_type="stop_limit", stop_price="75000", limit_price="76000")
    assert (order.order_type, order.stop_price, order.limit_price) == ("stop_limit", D("75000"), D("76000"))
    assert order.reserve_price == D("76000")
    assert "₩75,000" in message


def test_trailing_stops_in_won_and_in_percent(trader, holder):
    sell, _message = place(trader, side="sell", order_type="trailing_stop", trail_price="1000", stop_price="1")
    assert (sell.trail_price, sell.trail_percent, sell.stop_price, sell.high_water_mark) == (
        D("1000"),
        None,
        D("69000"),
        D("70000"),
    )
    buy, _message = place(trader, order_type="trailing_stop", trail_percent="5", quantity="1")
    assert (buy.trail_percent, buy.stop_price, buy.reserve_price) == (D("5"), D("73500"), D("91000"))
    assert_books_balance()


def test_ioc_remainder_and_fok_from_the_ticket(trader, stock):
    ioc, message = place(trader, limit_price="65000", time_in_force="ioc")
    assert (ioc.status, ioc.cancel_reason) == (OrderStatus.CANCELLED, "ioc_unfilled")
    assert "IOC remainder" in message
    fok, message = place(trader, order_type="market", time_in_force="fok")
    assert (fok.status, fok.filled_quantity) == (OrderStatus.FILLED, 10)
    assert_books_balance()


# --- errors next to their field


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        ({"side": "sell", "order_type": "stop", "stop_price": "75000"}, "stop_price", "below the current price"),
        ({"order_type": "stop", "stop_price": "65000"}, "stop_price", "above it"),  # a buy stop below the price
        ({"order_type": "stop", "stop_price": "75050"}, "stop_price", "between ₩49,000 and ₩91,000"),
        ({"order_type": "stop", "stop_price": "95000"}, "stop_price", "tick grid"),
        ({"order_type": "stop"}, "stop_price", "Enter a stop price"),
        ({"order_type": "stop_limit", "stop_price": "75000"}, "limit_price", "limit price"),
        ({"order_type": "stop_limit", "stop_price": "75000", "limit_price": "76050"}, "limit_price", "100"),
        ({"order_type": "trailing_stop", "trail_price": "50"}, "trail_price", "at least one tick"),
        ({"order_type": "trailing_stop", "trail_percent": "60"}, "trail_percent", "at most 50"),
        ({"order_type": "trailing_stop", "trail_percent": "0"}, "trail_percent", "at most 50"),
        ({"order_type": "trailing_stop"}, "trail_price", "Enter a trail"),
        ({"order_type": "trailing_stop", "trail_price": "500", "trail_percent": "2"}, "trail_price", "not both"),
        ({"order_type": "conditional_limit", "limit_price": "65000", "time_in_force": "gtc"}, "time_in_force", "DAY"),
        ({"order_type": "stop", "stop_price": "75000", "time_in_force": "ioc"}, "time_in_force", "DAY or GTC"),
        ({"order_type": "trailing_stop", "trail_price": "500", "time_in_force": "fok"}, "time_in_force", "GTC"),
        ({"order_type": "bracket"}, "order_type", "valid choice"),
    ],
)
def test_errors_are_shown_next_to_their_field(trader, stock, fields, field, text):
    response = trader.post(PAGE, ticket(**fields))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field], errors
    assert text in errors[field][0]
    html = html_of(response)
    assert errors[field][0] in html
    assert 'aria-invalid="true"' in html or field in ("order_type", "time_in_force")
    assert not Order.objects.exists()


def test_an_unknown_type_refused_by_the_service_is_shown_next_to_the_type(trader, stock, monkeypatch):
    def refuse(**kwargs):
        raise InvalidOrderType("Unknown order type 'limit'.")

    monkeypatch.setattr("trading.views.order_place", refuse)
    response = trader.post(PAGE, ticket(limit_price="70000"))
    assert response.context["form"].errors == {"order_type": ["Choose one of the order types offered."]}
    assert "Choose one of the order types offered." in html_of(response)


@pytest.mark.parametrize(
    "fields",
    [
        {"order_type": "<script>"},
        {"order_type": "stop", "stop_price": "abc"},
        {"order_type": "stop", "stop_price": "-1"},
        {"order_type": "stop", "stop_price": "1e9"},
        {"order_type": "stop", "stop_price": "99999999999999999"},
        {"order_type": "trailing_stop", "trail_percent": "abc"},
        {"order_type": "trailing_stop", "trail_percent": "50.001"},
        {"order_type": "trailing_stop", "trail_percent": "-3"},
        {"order_type": "trailing_stop", "trail_price": "10.5"},
        {"order_type": "conditional_limit", "limit_price": ""},
        {"order_type": "best_own", "time_in_force": "forever"},
    ],
)
def test_junk_is_a_form_error_not_a_server_error(trader, stock, fields):
    response = trader.post(PAGE, ticket(**fields))
    assert response.status_code == 200 and response.context["form"].errors
    assert not Order.objects.exists()


def test_junk_in_boxes_the_type_does_not_take_is_ignored(trader, stock):
    order, _message = place(trader, order_type="market", limit_price="abc", stop_price="-5", trail_percent="x")
    assert (order.order_type, order.limit_price, order.stop_price, order.trail_percent) == ("market", None, None, None)


# --- stop-loss / take-profit


def test_the_pair_form_shows_only_with_shares_and_starts_around_the_price(trader, user, stock):
    assert 'id="oco"' not in trader.get(PAGE).content.decode()
    order_place(user=user, stock_code="005930", side="buy", order_type="market", quantity=10)
    html = trader.get(PAGE).content.decode()
    assert 'id="oco"' in html and 'action="/market/005930/oco/"' in html
    assert 'name="stop_price" id="oco_stop_price"' in html and 'value="66500"' in html
    assert 'name="limit_price" id="oco_limit_price"' in html and 'value="73500"' in html
    assert 'max="10" value="10"' in html


def test_placing_a_pair_from_the_stock_page(trader, holder):
    response = trader.post(
        OCO, {"quantity": "6", "stop_price": "66500", "limit_price": "73500", "time_in_force": "gtc"}, follow=True
    )
    assert response.redirect_chain == [(PAGE, 302)]
    stop, take = Order.objects.filter(oco_group__isnull=False).order_by("pk")
    assert (stop.order_type, stop.stop_price, take.order_type, take.limit_price) == (
        "stop",
        D("66500"),
        "limit",
        D("73500"),
    )
    assert stop.oco_group == take.oco_group and stop.status == take.status == "pending"
    (message,) = messages_of(response)
    assert "₩66,500" in message and "₩73,500" in message and f"#{stop.pk}" in message
    html = html_of(response)
    assert html.count('data-testid="oco-marker"') == 2
    assert f"with #{take.pk}" in html and f"with #{stop.pk}" in html
    assert Position.objects.get(user=holder).reserved_quantity == 6
    assert_books_balance()


def test_a_take_profit_already_met_fills_and_ends_the_stop(trader, holder):
    response = trader.post(
        OCO, {"quantity": "4", "stop_price": "66500", "limit_price": "70000", "time_in_force": "day"}, follow=True
    )
    stop, take = Order.objects.filter(oco_group__isnull=False).order_by("pk")
    assert (take.status, stop.status, stop.cancel_reason) == ("filled", "cancelled", "oco")
    assert "filled at once" in messages_of(response)[-1]
    assert "other order of the pair settled" in html_of(response)


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        ({"stop_price": "71000"}, "stop_price", "below the current price"),
        ({"stop_price": "66550"}, "stop_price", "tick grid"),
        ({"limit_price": "73550"}, "limit_price", "100"),
        ({"limit_price": "95000"}, "limit_price", "91,000"),
        ({"limit_price": "66000"}, "limit_price", "above the stop-loss"),
        ({"quantity": "11"}, "quantity", "enough unreserved shares"),
        ({"time_in_force": "ioc"}, "time_in_force", "valid choice"),
        ({"stop_price": ""}, "stop_price", "required"),
    ],
)
def test_pair_errors_are_shown_next_to_their_field(trader, holder, fields, field, text):
    body = {"quantity": "6", "stop_price": "66500", "limit_price": "73500", "time_in_force": "day", **fields}
    response = trader.post(OCO, body)
    assert response.status_code == 200
    errors = response.context["oco_form"].errors
    assert list(errors) == [field], errors
    assert text in errors[field][0]
    assert errors[field][0] in html_of(response)
    assert response.context["form"].is_bound is False  # the ticket stays fresh
    assert not Order.objects.filter(oco_group__isnull=False).exists()


@pytest.mark.parametrize(
    "body", [{}, {"quantity": "lots"}, {"quantity": "0", "stop_price": "x", "limit_price": "-1"}, {"quantity": "1e99"}]
)
def test_pair_junk_is_not_a_server_error(trader, holder, body):
    response = trader.post(OCO, body)
    assert response.status_code == 200 and response.context["oco_form"].errors


def test_pair_view_sends_visitors_to_login_refuses_get_and_unknown_stocks(client, trader, holder):
    response = client.post(OCO, {"quantity": "1"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=/market/005930/")
    assert trader.get(OCO)["Location"] == PAGE
    assert trader.post("/market/999999/oco/", {"quantity": "1"}).status_code == 404
    assert not Order.objects.filter(oco_group__isnull=False).exists()


# --- the orders page


@pytest.fixture
def stops(holder, stock):
    place_ = order_place
    stop = place_(user=holder, stock_code="005930", side="sell", order_type="stop", quantity=2, stop_price=D("65000"))
    trailing = place_(
        user=holder, stock_code="005930", side="sell", order_type="trailing_stop", quantity=2, trail_percent=D("3")
    )
    stop_limit = place_(
        user=holder,
        stock_code="005930",
        side="buy",
        order_type="stop_limit",
        quantity=1,
        stop_price=D("75000"),
        limit_price=D("76000"),
    )
    pair = oco_place(user=holder, stock_code="005930", quantity=2, stop_price=D("66000"), limit_price=D("74000"))
    return {
        "stop": stop.order,
        "trailing": trailing.order,
        "stop_limit": stop_limit.order,
        "oco_stop": pair.orders[0],
        "oco_take": pair.orders[1],
    }


def test_orders_page_shows_types_stops_trails_marks_and_pairs(trader, stops):
    response = trader.get("/orders/")
    html = html_of(response)
    for label in ("Stop", "Trailing stop", "Stop limit", "Stop-loss / take-profit"):
        assert label in html
    trailing = stops["trailing"]
    row = html.split(f'data-order-id="{trailing.pk}"')[1].split("</tr>")[0]
    assert "Trail 3%" in row and 'data-order-field="high_water_mark">70,000' in row
    assert 'data-order-field="stop_price">67,900' in row  # 70,000 − 3%, floored to the grid
    row = html.split(f'data-order-id="{stops["stop"].pk}"')[1].split("</tr>")[0]
    assert "Stop <span>65,000</span>" in row
    row = html.split(f'data-order-id="{stops["oco_take"].pk}"')[1].split("</tr>")[0]
    assert f"with #{stops['oco_stop'].pk}" in row


def test_modify_forms_offer_what_each_order_can_change(trader, stops):
    rows = {order.pk: order for order in trader.get("/orders/").context["page"]}

    def fields(key):
        form = getattr(rows[stops[key].pk], "modify_form", None)
        return list(form.fields) if form else None

    assert fields("stop") == ["quantity", "stop_price"]
    assert fields("trailing") == ["quantity", "trail_price", "trail_percent"]
    assert fields("stop_limit") == ["quantity", "limit_price", "stop_price"]
    assert fields("oco_stop") is None and fields("oco_take") is None


def test_a_triggered_stop_limit_shows_it_and_only_its_limit_changes(trader, stops, stock):
    Stock.objects.filter(pk=stock.pk).update(current_price=D("75000"))
    stops_trigger()
    response = trader.get("/orders/")
    order = next(o for o in response.context["page"] if o.pk == stops["stop_limit"].pk)
    assert order.triggered_at is not None and list(order.modify_form.fields) == ["quantity", "limit_price"]
    row = html_of(response).split(f'data-order-id="{order.pk}"')[1].split("</tr>")[0]
    assert "Triggered" in row


def test_modify_an_untriggered_stop_and_a_trailing_stop(trader, stops):
    stop, trailing = stops["stop"], stops["trailing"]
    response = trader.post(f"/orders/{stop.pk}/modify/", {"quantity": "2", "stop_price": "64000"}, follow=True)
    assert "stop at ₩64,000" in messages_of(response)[-1]
    stop.refresh_from_db()
    assert stop.stop_price == D("64000")
    body = {"quantity": "2", "trail_price": "2000", "trail_percent": "", "limit_price": "junk"}
    trader.post(f"/orders/{trailing.pk}/modify/", body)
    trailing.refresh_from_db()
    assert (trailing.trail_price, trailing.trail_percent, trailing.stop_price) == (D("2000"), None, D("68000"))
    assert_books_balance()


@pytest.mark.parametrize(
    ("key", "body", "field", "text"),
    [
        ("stop", {"stop_price": "71000"}, "stop_price", "below the current price"),
        ("stop", {"stop_price": "64050"}, "stop_price", "tick grid"),
        ("trailing", {"trail_percent": "75"}, "trail_percent", "at most 50"),
        ("trailing", {"trail_price": "10"}, "trail_price", "at least one tick"),
        ("trailing", {"trail_price": "500", "trail_percent": "2"}, "trail_price", "not both"),
        ("stop_limit", {"limit_price": "76050"}, "limit_price", "100"),
    ],
)
def test_modify_errors_show_next_to_the_field(trader, stops, key, body, field, text):
    pk = stops[key].pk
    response = trader.post(f"/orders/{pk}/modify/", body)
    assert response.status_code == 200
    (row,) = [order for order in response.context["page"] if order.pk == pk]
    assert list(row.modify_form.errors) == [field]
    assert text in row.modify_form.errors[field][0]


def test_modify_of_a_pair_member_says_why_not(trader, stops):
    pk = stops["oco_stop"].pk
    response = trader.post(f"/orders/{pk}/modify/", {"stop_price": "64000"}, follow=True)
    assert response.status_code == 200
    assert any("stop-loss / take-profit pair" in message for message in messages_of(response))
    stops["oco_stop"].refresh_from_db()
    assert stops["oco_stop"].stop_price == D("66000")


def test_closed_orders_show_the_cancel_reason_and_the_pair(trader, stops):
    trader.post(f"/orders/{stops['oco_take'].pk}/cancel/")
    html = html_of(trader.get("/orders/", {"tab": "closed"}))
    assert "by you" in html and "other order of the pair settled" in html
    assert html.count('data-testid="oco-marker"') == 2
