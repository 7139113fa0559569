from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from conftest import client_for
from trading.tests.factories import StockFactory
from watchlist.models import Watchlist, WatchlistItem

pytestmark = pytest.mark.django_db
LISTS = "/api/v1/watchlists"


@pytest.fixture
def stocks():
    return [
        StockFactory(code="005930", name="삼성전자", current_price=D("71000"), previous_close=D("70000")),
        StockFactory(code="000660", name="SK하이닉스", current_price=D("190000"), previous_close=D("200000")),
        StockFactory(code="035720", name="카카오", current_price=D("40000"), previous_close=D("40000")),
    ]


def default_list(client) -> dict:
    [watchlist] = client.get(LISTS).json()["results"]
    return watchlist


def add(client, watchlist_id, code, **extra):
    return client.post(f"{LISTS}/{watchlist_id}/stocks", {"stock": code, **extra}, format="json")


def test_every_new_user_starts_with_one_empty_list(auth_client):
    watchlist = default_list(auth_client)
    assert (watchlist["name"], watchlist["position"], watchlist["items"]) == ("관심종목", 0, [])


def test_added_stocks_show_live_quotes_in_the_order_added(auth_client, stocks):
    watchlist_id = default_list(auth_client)["id"]
    assert add(auth_client, watchlist_id, "005930", memo="반도체", target_price="80000").status_code == 201
    response = add(auth_client, watchlist_id, "000660")
    assert response.status_code == 201
    items = response.json()["items"]
    assert [i["stock"] for i in items] == ["005930", "000660"]
    assert items[0] == {
        "stock": "005930",
        "name": "삼성전자",
        "market": "KOSPI",
        "price": "71000",
        "previous_close": "70000",
        "change": "1000",
        "change_rate": "1.43",
        "volume": 0,
        "is_halted": False,
        "memo": "반도체",
        "target_price": "80000",
        "target_gap_rate": "12.68",
        "position": 0,
        "added_at": items[0]["added_at"],
    }
    assert (items[1]["change"], items[1]["change_rate"], items[1]["target_price"]) == ("-10000", "-5.00", None)


def test_quotes_are_live(auth_client, stocks):
    watchlist_id = default_list(auth_client)["id"]
    add(auth_client, watchlist_id, "035720")
    stocks[2].current_price = D("42000")
    stocks[2].save()
    item = auth_client.get(f"{LISTS}/{watchlist_id}").json()["items"][0]
    assert (item["price"], item["change_rate"]) == ("42000", "5.00")


def test_create_rename_move_and_delete_lists(auth_client):
    first = default_list(auth_client)["id"]
    second = auth_client.post(LISTS, {"name": "배당주"}, format="json").json()
    third = auth_client.post(LISTS, {"name": "2차전지"}, format="json").json()
    assert (second["position"], third["position"]) == (1, 2)

    moved = auth_client.patch(f"{LISTS}/{third['id']}", {"position": 0, "name": "배터리"}, format="json")
    assert moved.status_code == 200 and moved.json()["name"] == "배터리"
    names = [w["name"] for w in auth_client.get(LISTS).json()["results"]]
    assert names == ["배터리", "관심종목", "배당주"]

    assert auth_client.delete(f"{LISTS}/{first}").status_code == 204
    lists = auth_client.get(LISTS).json()["results"]
    assert [(w["name"], w["position"]) for w in lists] == [("배터리", 0), ("배당주", 1)]


def test_edit_move_and_remove_items(auth_client, stocks):
    watchlist_id = default_list(auth_client)["id"]
    for stock in stocks:
        add(auth_client, watchlist_id, stock.code, target_price="1000")
    url = f"{LISTS}/{watchlist_id}/stocks"
    response = auth_client.patch(
        f"{url}/035720", {"position": 0, "memo": "플랫폼", "target_price": None}, format="json"
    )
    assert response.status_code == 200, response.json()
    items = response.json()["items"]
    assert [(i["stock"], i["position"]) for i in items] == [("035720", 0), ("005930", 1), ("000660", 2)]
    assert (items[0]["memo"], items[0]["target_price"]) == ("플랫폼", None)
    assert items[1]["target_price"] == "1000"  # untouched

    assert auth_client.delete(f"{url}/005930").status_code == 204
    items = auth_client.get(f"{LISTS}/{watchlist_id}").json()["items"]
    assert [(i["stock"], i["position"]) for i in items] == [("035720", 0), ("000660", 1)]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"stock": "999999"}, 404, "unknown_stock"),
        ({"stock": "5930"}, 400, "invalid"),
        ({"stock": "005930", "target_price": "-5"}, 400, "invalid"),
        ({"stock": "005930", "target_price": "71050"}, 400, "invalid_watchlist"),
        ({"stock": "005930", "memo": "x" * 201}, 400, "invalid"),
    ],
)
def test_bad_items_are_rejected_and_nothing_is_written(auth_client, stocks, body, status, code):
    watchlist_id = default_list(auth_client)["id"]
    response = auth_client.post(f"{LISTS}/{watchlist_id}/stocks", body, format="json")
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert not WatchlistItem.objects.exists()


def test_a_stock_appears_at_most_once_per_list(auth_client, stocks):
    watchlist_id = default_list(auth_client)["id"]
    add(auth_client, watchlist_id, "005930")
    response = add(auth_client, watchlist_id, "005930")
    assert (response.status_code, response.json()["code"]) == (400, "already_in_watchlist")
    other = auth_client.post(LISTS, {"name": "other"}, format="json").json()["id"]
    assert add(auth_client, other, "005930").status_code == 201


@pytest.mark.parametrize(
    ("body", "code"), [({"name": "관심종목"}, "duplicate_watchlist_name"), ({"name": "   "}, "invalid")]
)
def test_list_names_are_unique_per_user_and_not_blank(auth_client, body, code):
    response = auth_client.post(LISTS, body, format="json")
    assert (response.status_code, response.json()["code"]) == (400, code)
    assert Watchlist.objects.count() == 1


def test_limits_are_409(auth_client, stocks, settings):
    settings.WATCHLIST_MAX_LISTS = 2
    settings.WATCHLIST_MAX_ITEMS = 2
    assert auth_client.post(LISTS, {"name": "two"}, format="json").status_code == 201
    response = auth_client.post(LISTS, {"name": "three"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "watchlist_limit")
    watchlist_id = default_list_id = auth_client.get(LISTS).json()["results"][0]["id"]
    add(auth_client, watchlist_id, "005930")
    add(auth_client, watchlist_id, "000660")
    response = add(auth_client, default_list_id, "035720")
    assert (response.status_code, response.json()["code"]) == (409, "watchlist_limit")


def test_unknown_item_and_bad_updates(auth_client, stocks):
    watchlist_id = default_list(auth_client)["id"]
    url = f"{LISTS}/{watchlist_id}/stocks/005930"
    assert auth_client.patch(url, {"memo": "x"}, format="json").status_code == 404
    assert auth_client.delete(url).status_code == 404
    add(auth_client, watchlist_id, "005930")
    assert auth_client.patch(url, {}, format="json").status_code == 400
    assert auth_client.patch(url, {"position": -1}, format="json").status_code == 400
    assert auth_client.patch(f"{LISTS}/{watchlist_id}", {}, format="json").status_code == 400
    assert auth_client.put(f"{LISTS}/{watchlist_id}", {"name": "x"}, format="json").status_code == 405


def test_charlie_cannot_see_or_touch_alices_lists(stocks):
    alice, charlie = client_for(UserFactory()), client_for(UserFactory())
    alice_list = default_list(alice)["id"]
    add(alice, alice_list, "005930")
    url = f"{LISTS}/{alice_list}"
    assert charlie.get(url).status_code == 404
    assert charlie.patch(url, {"name": "mine"}, format="json").status_code == 404
    assert charlie.delete(url).status_code == 404
    assert add(charlie, alice_list, "000660").status_code == 404
    assert charlie.patch(f"{url}/stocks/005930", {"memo": "x"}, format="json").status_code == 404
    assert charlie.delete(f"{url}/stocks/005930").status_code == 404
    assert alice_list not in [w["id"] for w in charlie.get(LISTS).json()["results"]]
    assert len(default_list(alice)["items"]) == 1


def test_detail_and_list_cost_the_same_queries_for_1_and_100_items(auth_client, user):
    watchlist = Watchlist.objects.get(user=user)

    def fill(start: int, count: int) -> None:
        for i in range(start, start + count):
            stock = StockFactory(code=f"{400000 + i:06d}")
            WatchlistItem.objects.create(watchlist=watchlist, stock=stock, position=i)

    fill(0, 1)
    counts = {}
    for url in (f"{LISTS}/{watchlist.pk}", LISTS):
        with CaptureQueriesContext(connection) as captured:
            auth_client.get(url)
        counts[url] = len(captured)
    fill(1, 99)
    for url, count in counts.items():
        with CaptureQueriesContext(connection) as captured:
            body = auth_client.get(url).json()
        assert len(captured) == count, url
    assert len(body["results"][0]["items"]) == 100


def test_watchlists_need_authentication(api_client):
    assert api_client.get(LISTS).status_code == 401


@pytest.mark.parametrize("name", ["관심종목", "TECH", "Tech"])
def test_names_differing_only_in_case_are_duplicates_on_every_database(auth_client, name):
    auth_client.post(LISTS, {"name": "tech"}, format="json")
    response = auth_client.post(LISTS, {"name": name}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "duplicate_watchlist_name")
    other = auth_client.post(LISTS, {"name": "growth"}, format="json").json()["id"]
    response = auth_client.patch(f"{LISTS}/{other}", {"name": name.upper()}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "duplicate_watchlist_name")


def test_an_item_path_with_an_unknown_stock_code_is_unknown_stock(auth_client):
    watchlist_id = default_list(auth_client)["id"]
    response = auth_client.patch(f"{LISTS}/{watchlist_id}/stocks/999999", {"memo": "x"}, format="json")
    assert (response.status_code, response.json()["code"]) == (404, "unknown_stock")
    assert auth_client.delete(f"{LISTS}/{watchlist_id}/stocks/999999").json()["code"] == "unknown_stock"
