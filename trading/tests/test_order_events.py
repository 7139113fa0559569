"""The order-event outbox: every change of an order, in its own transaction, with gapless seqs."""

from decimal import Decimal as D

import pytest

from accounts.tests.factories import UserFactory
from portfolio.models import Balance
from trading.models import OrderEvent
from trading.services import order_cancel, order_modify, order_place
from trading.services.market_day import order_expire
from trading.services.matching import match_orders
from trading.services.reset import account_reset
from trading.tests.test_matching import set_price

pytestmark = pytest.mark.django_db


def events(user) -> list[tuple[int, str, int, str]]:
    rows = OrderEvent.objects.filter(user=user).order_by("seq")
    return [(e.seq, e.event, e.order_id, e.payload["order"]["status"]) for e in rows]


def test_a_market_order_is_new_then_fill_with_consecutive_seqs(auth_client, user, stock):
    body = auth_client.post(
        "/api/v1/orders", {"stock": "005930", "side": "buy", "order_type": "market", "quantity": 2}, format="json"
    ).json()
    assert events(user) == [(1, "new", body["id"], "pending"), (2, "fill", body["id"], "filled")]
    new, fill = OrderEvent.objects.filter(user=user).order_by("seq")
    assert new.payload["order"]["filled_quantity"] == 0 and new.payload["order"]["executions"] == []
    assert new.payload["execution"] is None
    # The fill shows the order exactly as the API shows it afterwards, and the fill as listed.
    assert fill.payload["order"] == auth_client.get(f"/api/v1/orders/{body['id']}").json()
    assert fill.payload["execution"] == auth_client.get("/api/v1/executions").json()["results"][0]
    assert fill.execution_id == body["executions"][0]["id"]
    assert Balance.objects.get(user=user).event_seq == 2


def test_every_change_of_an_order_is_an_event(user, stock):
    order = order_place(
        user=user, stock_code="005930", side="buy", order_type="limit", quantity=2, limit_price=D("60000")
    ).order
    order_modify(user=user, order_id=order.pk, limit_price=D("61000"))
    order_cancel(user=user, order_id=order.pk)
    resting = order_place(
        user=user, stock_code="005930", side="buy", order_type="limit", quantity=1, limit_price=D("60000")
    ).order
    set_price(stock, "59000")
    match_orders()
    ioc = order_place(
        user=user,
        stock_code="005930",
        side="sell",
        order_type="limit",
        quantity=1,
        limit_price=D("80000"),
        time_in_force="ioc",
    ).order
    assert events(user) == [
        (1, "new", order.pk, "pending"),
        (2, "replaced", order.pk, "pending"),
        (3, "cancelled", order.pk, "cancelled"),
        (4, "new", resting.pk, "pending"),
        (5, "fill", resting.pk, "filled"),
        (6, "new", ioc.pk, "pending"),
        (7, "cancelled", ioc.pk, "cancelled"),
    ]
    replaced = OrderEvent.objects.get(user=user, seq=2)
    assert replaced.payload["order"]["limit_price"] == "61000"


def test_expiry_and_reset_write_their_events(user, stock):
    from trading.models import Order

    order = order_place(
        user=user, stock_code="005930", side="buy", order_type="limit", quantity=1, limit_price=D("60000")
    ).order
    Order.objects.filter(pk=order.pk).update(trading_date=order.trading_date.replace(year=2020))
    order_expire(order_id=order.pk, trading_date=order.trading_date)
    second = order_place(
        user=user, stock_code="005930", side="buy", order_type="limit", quantity=1, limit_price=D("60000")
    ).order
    account_reset(user=user, confirm="RESET")
    assert [(seq, event) for seq, event, _, _ in events(user)] == [
        (1, "new"),
        (2, "expired"),
        (3, "new"),
        (4, "cancelled"),
    ]
    assert OrderEvent.objects.get(user=user, seq=4).payload["order"]["cancel_reason"] == "reset"
    assert OrderEvent.objects.get(order=second, seq=4)


def test_a_matching_batch_writes_each_users_events_in_order(stock):
    users = [UserFactory() for _ in range(3)]
    orders = [
        order_place(
            user=u, stock_code="005930", side="buy", order_type="limit", quantity=1, limit_price=D("69000")
        ).order
        for u in users
    ]
    set_price(stock, "68000")
    assert match_orders().filled == 3
    for user, order in zip(users, orders, strict=True):
        assert events(user) == [(1, "new", order.pk, "pending"), (2, "fill", order.pk, "filled")]


def test_a_refused_order_writes_no_event(user, stock):
    from stocking.core.exceptions import InsufficientFunds

    with pytest.raises(InsufficientFunds):
        order_place(user=user, stock_code="005930", side="buy", order_type="market", quantity=1000)
    assert not OrderEvent.objects.exists()
    assert Balance.objects.get(user=user).event_seq == 0


def test_the_audit_catches_a_gap_a_lost_fill_event_and_a_stale_counter(user, stock):
    from portfolio.audit import run_audit

    for _ in range(3):
        order_place(user=user, stock_code="005930", side="buy", order_type="market", quantity=1)
    assert run_audit().ok
    OrderEvent.objects.filter(user=user, seq=4).delete()  # a fill event lost in the middle
    violations = run_audit().violations
    assert any("gaps" in v for v in violations) and any("has no fill event" in v for v in violations)
    Balance.objects.filter(user=user).update(event_seq=99)
    assert any("balance counter" in v for v in run_audit().violations)


def test_prune_keeps_a_day_of_events_and_an_hour_of_ticks(user, stock):
    from datetime import timedelta
    from io import StringIO

    from django.core.management import CommandError, call_command
    from django.utils import timezone

    from trading.models import MarketTick

    order_place(user=user, stock_code="005930", side="buy", order_type="market", quantity=1)
    OrderEvent.objects.filter(seq=1).update(created_at=timezone.now() - timedelta(hours=25))
    MarketTick.objects.create(at=timezone.now() - timedelta(hours=2), quotes=[])
    MarketTick.objects.create(at=timezone.now(), quotes=[])
    out = StringIO()
    call_command("prune_stream_events", stdout=out)
    assert "Deleted 1 order events and 1 tick records." in out.getvalue()
    assert list(OrderEvent.objects.values_list("seq", flat=True)) == [2]
    with pytest.raises(CommandError, match="at least 24h"):
        call_command("prune_stream_events", "--keep", "2h")


def test_an_engine_fill_event_shows_the_order_exactly_as_the_api_does_afterwards(auth_client, user, stock):
    order = order_place(
        user=user, stock_code="005930", side="buy", order_type="limit", quantity=1, limit_price=D("69000")
    ).order
    set_price(stock, "68000")
    match_orders()
    fill = OrderEvent.objects.get(user=user, event="fill")
    assert fill.payload["order"] == auth_client.get(f"/api/v1/orders/{order.pk}").json()
