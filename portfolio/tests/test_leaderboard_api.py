from datetime import datetime
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from conftest import client_for
from portfolio.models import Balance, Position
from portfolio.services import balance_deposit, balance_withdraw
from portfolio.tests.trades import market, set_price
from trading.services.reset import account_reset
from trading.tests.factories import StockFactory

pytestmark = pytest.mark.django_db
LEADERBOARD = "/api/v1/leaderboard"


def player(name: str, opted_in: bool = True):
    return UserFactory(username=f"login-{name}", display_name=name, show_on_leaderboard=opted_in)


@pytest.fixture
def stock():
    return StockFactory(code="100100", current_price=D("10000"))


def test_only_opted_in_users_are_ranked_by_return_with_display_names_only(stock):
    up, flat, down, hidden = player("상승"), player("보합"), player("하락"), player("비공개", opted_in=False)
    for user in (up, down, hidden):
        market(user, stock, "buy", 100)  # 1,000,000 + fee 150
    set_price(stock, "12000")
    Position.objects.filter(user=down).update(quantity=10)  # a cheap way to a loss for this ranking test
    viewer = client_for(flat)

    body = viewer.get(LEADERBOARD).json()

    assert body["count"] == 3
    rows = body["results"]
    assert [r["display_name"] for r in rows] == ["상승", "보합", "하락"]
    assert [r["rank"] for r in rows] == [1, 2, 3]
    # (8,999,850 + 1,200,000 − 10,000,000) / 10,000,000
    assert rows[0]["total_return_rate"] == "2.00"
    assert rows[1] == {"rank": 2, "display_name": "보합", "total_return_rate": "0.00", "since": None, "is_you": True}
    assert "login-" not in str(body)


def test_ties_share_a_rank_and_keep_sign_up_order(stock):
    first, _, third = player("a"), player("b"), player("c")
    market(third, stock, "buy", 10)
    set_price(stock, "11000")
    rows = client_for(first).get(LEADERBOARD).json()["results"]
    assert [(r["display_name"], r["rank"]) for r in rows] == [("c", 1), ("a", 2), ("b", 2)]


def test_blank_display_name_shows_the_investor_number():
    user = UserFactory(show_on_leaderboard=True)
    rows = client_for(user).get(LEADERBOARD).json()["results"]
    assert rows[0]["display_name"] == f"투자자 #{user.pk}"


def test_a_deposit_does_not_climb_the_leaderboard(stock):
    saver, trader = player("saver"), player("trader")
    balance_deposit(user=saver, amount=D("5000000"))
    market(trader, stock, "buy", 10)
    set_price(stock, "10100")
    rows = client_for(saver).get(LEADERBOARD).json()["results"]
    assert [r["display_name"] for r in rows] == ["trader", "saver"]
    assert rows[1]["total_return_rate"] == "0.00"


def test_return_counts_from_the_last_reset(stock):
    user = player("again")
    market(user, stock, "buy", 100)
    set_price(stock, "8000")
    reset = account_reset(user=user, confirm="RESET")
    [row] = client_for(user).get(LEADERBOARD).json()["results"]
    assert row["total_return_rate"] == "0.00"
    assert datetime.fromisoformat(row["since"]) == reset.created_at


def test_leaderboard_is_paginated(stock):
    users = [player(f"p{i}") for i in range(3)]
    body = client_for(users[0]).get(LEADERBOARD, {"page_size": 2}).json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    second = client_for(users[0]).get(LEADERBOARD, {"page_size": 2, "page": 2}).json()
    assert [r["rank"] for r in second["results"]] == [1]


def test_query_count_is_the_same_for_1_and_100_users(stock):
    viewer = player("viewer")
    client = client_for(viewer)
    with CaptureQueriesContext(connection) as one:
        assert client.get(LEADERBOARD).status_code == 200
    for i in range(99):
        user = player(f"u{i}")
        Position.objects.create(user=user, stock=stock, quantity=1, cost_basis=D("10000"))
    with CaptureQueriesContext(connection) as hundred:
        body = client.get(LEADERBOARD, {"page_size": 200}).json()
    assert body["count"] == 100 and len(body["results"]) == 100
    assert len(hundred) == len(one)


def test_leaderboard_needs_authentication(api_client):
    assert api_client.get(LEADERBOARD).status_code == 401


def test_near_ties_that_show_the_same_rate_share_a_rank_on_every_database():
    first, second = player("first"), player("second")
    # One won apart: both show 0.00%, so both are second-to-none, in sign-up order.
    Balance.objects.filter(user=second).update(cash=D("10000001"))
    rows = client_for(first).get(LEADERBOARD).json()["results"]
    assert [(r["display_name"], r["rank"], r["total_return_rate"]) for r in rows] == [
        ("first", 1, "0.00"),
        ("second", 1, "0.00"),
    ]


def test_withdrawing_almost_everything_does_not_buy_a_top_rank(stock, settings):
    honest, gamer = player("honest"), player("gamer")
    market(honest, stock, "buy", 100)
    set_price(stock, "12000")  # honest: +2%
    balance_withdraw(user=gamer, amount=D("9999000"))  # a return on 1,000 won would be huge
    rows = client_for(honest).get(LEADERBOARD).json()["results"]
    assert [r["display_name"] for r in rows] == ["honest"]
    settings.LEADERBOARD_MIN_CAPITAL = D("1000")
    rows = client_for(honest).get(LEADERBOARD).json()["results"]
    assert [r["display_name"] for r in rows] == ["honest", "gamer"]
