"""The watchlist pages and the stock page's "add to watchlist" control, through Django's test client:
every form reaches its service, domain errors sit next to their field, another user's list is a
404 page and junk input never answers 500."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from trading.models import Stock
from trading.tests.factories import StockFactory
from watchlist.models import Watchlist, WatchlistItem
from watchlist.services import watchlist_add_stock, watchlist_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def trader(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def default(user) -> Watchlist:
    return Watchlist.objects.get(user=user)


@pytest.fixture
def stocks(stock):
    StockFactory(code="000660", name="SK하이닉스", current_price=D("210000"), previous_close=D("200000"))
    StockFactory(code="005935", name="삼성전자우", current_price=D("60000"))
    return stock


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def codes(watchlist: Watchlist) -> list[str]:
    return list(watchlist.items.order_by("position").values_list("stock__code", flat=True))


def test_the_page_shows_every_list_with_live_quotes(trader, default, stocks):
    watchlist_add_stock(user=default.user, watchlist_id=default.pk, stock_code="000660", target_price=D("250000"))
    response = trader.get("/watchlists/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "관심종목" in html and 'data-live-row="000660"' in html
    assert 'data-live-url="/api/v1/watchlists?page_size=100"' in html and 'data-live-list="results.items"' in html
    assert "▲10,000" in html and "+5.00%" in html  # the quote's change
    assert "250,000" in html and "+19.05%" in html  # target and its distance from 210,000


def test_create_rename_and_delete_a_list(trader, user):
    response = trader.post("/watchlists/new/", {"name": "반도체"}, follow=True)
    assert "반도체" in messages_of(response)[0]
    created = Watchlist.objects.get(user=user, name="반도체")
    trader.post(f"/watchlists/{created.pk}/rename/", {"name": "메모리"})
    created.refresh_from_db()
    assert created.name == "메모리"
    response = trader.post(f"/watchlists/{created.pk}/delete/", follow=True)
    assert response.redirect_chain == [("/watchlists/", 302)]
    assert not Watchlist.objects.filter(pk=created.pk).exists()


def test_a_duplicate_or_blank_name_is_refused_next_to_the_field(trader, user, default):
    response = trader.post("/watchlists/new/", {"name": "관심종목"})
    assert response.status_code == 200
    assert response.context["create_form"].errors["name"]
    assert trader.post("/watchlists/new/", {"name": "  "}).context["create_form"].errors["name"]
    other = watchlist_create(user=user, name="둘째")
    response = trader.post(f"/watchlists/{other.pk}/rename/", {"name": "관심종목"})
    html = response.content.decode()
    [shown] = [w for w in response.context["lists"] if w.pk == other.pk]
    assert shown.rename_form.errors["name"] and '<details class="menu" open>' in html
    assert Watchlist.objects.filter(user=user).count() == 2


def test_the_list_limit_is_a_form_error(trader, user, settings):
    settings.WATCHLIST_MAX_LISTS = 1
    response = trader.post("/watchlists/new/", {"name": "하나 더"})
    assert response.context["create_form"].errors["__all__"]


def test_lists_move_up_and_down(trader, user, default):
    second = watchlist_create(user=user, name="둘째")
    trader.post(f"/watchlists/{second.pk}/move/", {"position": "0"})
    assert list(Watchlist.objects.filter(user=user).order_by("position").values_list("name", flat=True)) == [
        "둘째",
        "관심종목",
    ]
    for junk in ("", "abc", "-1", "1e9"):
        assert trader.post(f"/watchlists/{second.pk}/move/", {"position": junk}).status_code == 302


def test_add_by_code_by_name_and_with_a_target(trader, default, stocks):
    trader.post("/watchlists/add/", {"watchlist": default.pk, "stock": "000660"})
    response = trader.post(
        "/watchlists/add/",
        {"watchlist": default.pk, "stock": "삼성전자우", "memo": "배당", "target_price": "65000"},
        follow=True,
    )
    assert "삼성전자우" in messages_of(response)[-1]
    assert codes(default) == ["000660", "005935"]
    item = WatchlistItem.objects.get(watchlist=default, stock__code="005935")
    assert (item.memo, item.target_price) == ("배당", D("65000"))


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"stock": "999999"}, "stock"),  # unknown code
        ({"stock": "삼성"}, "stock"),  # 삼성전자 and 삼성전자우: ambiguous
        ({"stock": "없는회사"}, "stock"),
        ({"stock": "005930", "target_price": "70050"}, "target_price"),  # off the 100-won grid
        ({"stock": "005930", "target_price": "abc"}, "target_price"),
        ({"stock": ""}, "stock"),
    ],
)
def test_add_errors_sit_next_to_their_field(trader, default, stocks, fields, field):
    response = trader.post("/watchlists/add/", {"watchlist": default.pk, **fields})
    assert response.status_code == 200
    [shown] = response.context["lists"]
    assert shown.add_form.errors[field]
    assert '<details class="add-stock" open>' in response.content.decode()
    assert codes(default) == []


def test_a_stock_already_on_the_list_is_refused(trader, default, stocks):
    watchlist_add_stock(user=default.user, watchlist_id=default.pk, stock_code="005930")
    response = trader.post("/watchlists/add/", {"watchlist": default.pk, "stock": "005930"})
    [shown] = response.context["lists"]
    assert shown.add_form.errors["stock"]


def test_edit_move_and_remove_items(trader, default, stocks):
    for code in ("005930", "000660", "005935"):
        watchlist_add_stock(user=default.user, watchlist_id=default.pk, stock_code=code)
    trader.post(f"/watchlists/{default.pk}/stocks/005935/move/", {"position": "0"})
    assert codes(default) == ["005935", "005930", "000660"]
    trader.post(f"/watchlists/{default.pk}/stocks/005930/edit/", {"memo": "장기", "target_price": "80000"})
    item = WatchlistItem.objects.get(watchlist=default, stock__code="005930")
    assert (item.memo, item.target_price) == ("장기", D("80000"))
    trader.post(f"/watchlists/{default.pk}/stocks/005930/edit/", {"memo": "장기", "target_price": ""})
    item.refresh_from_db()
    assert item.target_price is None
    response = trader.post(f"/watchlists/{default.pk}/stocks/000660/edit/", {"target_price": "210001"})
    [shown] = response.context["lists"]
    [row] = [i for i in shown.items.all() if i.stock.code == "000660"]
    assert row.edit_form.errors["target_price"]
    trader.post(f"/watchlists/{default.pk}/stocks/000660/remove/")
    assert codes(default) == ["005935", "005930"]


def test_another_users_list_is_a_404_page(trader, stocks):
    theirs = Watchlist.objects.get(user=UserFactory())
    watchlist_add_stock(user=theirs.user, watchlist_id=theirs.pk, stock_code="005930")
    posts = {
        f"/watchlists/{theirs.pk}/rename/": {"name": "mine"},
        f"/watchlists/{theirs.pk}/rename/ ": {"name": ""},
        f"/watchlists/{theirs.pk}/move/": {"position": "0"},
        f"/watchlists/{theirs.pk}/delete/": {},
        f"/watchlists/{theirs.pk}/stocks/005930/edit/": {"memo": "x"},
        f"/watchlists/{theirs.pk}/stocks/005930/move/": {"position": "0"},
        f"/watchlists/{theirs.pk}/stocks/005930/remove/": {},
        "/watchlists/add/": {"watchlist": theirs.pk, "stock": "000660"},
        "/watchlists/add/ ": {"watchlist": theirs.pk, "stock": "없는회사"},
    }
    for url, data in posts.items():
        response = trader.post(url.strip(), data)
        assert response.status_code == 404, url
    assert codes(theirs) == ["005930"] and theirs.name == Watchlist.objects.get(pk=theirs.pk).name


def test_junk_ids_and_codes_never_answer_500(trader, default):
    assert trader.post("/watchlists/99999/delete/").status_code == 404
    assert trader.post(f"/watchlists/{default.pk}/stocks/nope/remove/").status_code == 404
    assert trader.post("/watchlists/add/", {"watchlist": "abc", "stock": "005930"}).status_code == 404
    assert trader.get("/watchlists/", {"q": "x" * 500}).status_code == 200
    assert trader.get("/watchlists/1/delete/").status_code == 405


def test_search_offers_each_match_with_a_list_to_add_it_to(trader, default, stocks):
    html = trader.get("/watchlists/", {"q": "삼성"}).content.decode()
    assert html.count('class="add-to"') == 2
    assert f'<option value="{default.pk}">관심종목</option>' in html
    response = trader.post(
        "/watchlists/add/", {"watchlist": default.pk, "stock": "005930", "next": "/watchlists/?q=삼성"}
    )
    assert response.status_code == 302 and response["Location"] == "/watchlists/?q=%EC%82%BC%EC%84%B1"
    assert codes(default) == ["005930"]


def test_the_stock_page_adds_to_a_chosen_list_and_names_the_lists_holding_it(trader, user, default, stocks):
    second = watchlist_create(user=user, name="둘째")
    html = trader.get("/market/005930/").content.decode()
    assert 'action="/watchlists/add/"' in html and f'<option value="{second.pk}">둘째</option>' in html
    response = trader.post(
        "/watchlists/add/", {"watchlist": second.pk, "stock": "005930", "next": "/market/005930/"}, follow=True
    )
    assert response.redirect_chain == [("/market/005930/", 302)]
    assert "둘째" in messages_of(response)[0]
    html = response.content.decode()
    assert f'<option value="{second.pk}" disabled>둘째 ✓</option>' in html
    assert f'href="/watchlists/#list-{second.pk}">둘째</a>' in html
    # Added again from a stale page: the refusal comes back to the stock page as a message.
    response = trader.post(
        "/watchlists/add/", {"watchlist": second.pk, "stock": "005930", "next": "/market/005930/"}, follow=True
    )
    assert response.redirect_chain == [("/market/005930/", 302)] and len(messages_of(response)) == 1


def test_the_stock_page_offers_visitors_a_log_in(client, stocks):
    html = client.get("/market/005930/").content.decode()
    assert 'href="/accounts/login/?next=/market/005930/"' in html


def test_an_unsafe_next_is_ignored(trader, default, stocks):
    response = trader.post(
        "/watchlists/add/", {"watchlist": default.pk, "stock": "005930", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/watchlists/"


def test_the_page_costs_the_same_queries_with_one_or_two_hundred_items(trader, user, default):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert trader.get("/watchlists/").status_code == 200
        return len(captured)

    StockFactory(code="100000")
    watchlist_add_stock(user=user, watchlist_id=default.pk, stock_code="100000")
    one = queries()
    for n in range(1, 200):
        StockFactory(code=f"{100000 + n:06d}")
    WatchlistItem.objects.bulk_create(
        WatchlistItem(watchlist=default, stock_id=stock_id, position=n)
        for n, stock_id in enumerate(
            Stock.objects.filter(code__gt="100000", code__lt="100200").order_by("code").values_list("pk", flat=True),
            start=1,
        )
    )
    second = watchlist_create(user=user, name="둘째")
    watchlist_add_stock(user=user, watchlist_id=second.pk, stock_code="100000")
    assert default.items.count() == 200
    assert queries() == one
    assert trader.get("/watchlists/", {"list": default.pk, "edit": "100150"}).status_code == 200
    assert queries() == one


def test_rows_share_one_form_per_list_and_only_the_item_being_edited_has_a_form(trader, default, stocks):
    for code in ("005930", "000660", "005935"):
        watchlist_add_stock(user=default.user, watchlist_id=default.pk, stock_code=code)
    html = trader.get("/watchlists/").content.decode()
    assert html.count(f'form="wl{default.pk}-items"') == 3 + 2 + 2  # remove on each row, up and down but at the ends
    assert html.count(f'<form id="wl{default.pk}-items" method="post">') == 1
    assert f'formaction="/watchlists/{default.pk}/stocks/000660/move/" name="position" value="0"' in html
    assert f'formaction="/watchlists/{default.pk}/stocks/000660/move/" name="position" value="2"' in html
    assert f'formaction="/watchlists/{default.pk}/stocks/005935/remove/"' in html
    assert "/edit/" not in html  # no edit form until a row's Edit link asks for one
    link = f'href="/watchlists/?list={default.pk}&amp;edit=000660#item-{default.pk}-000660"'
    assert link in html and f'id="item-{default.pk}-000660"' in html

    WatchlistItem.objects.filter(watchlist=default, stock__code="000660").update(memo="<b>메모</b>")
    response = trader.get("/watchlists/", {"list": default.pk, "edit": "000660"})
    html = response.content.decode()
    assert html.count("/edit/") == 1 and f'action="/watchlists/{default.pk}/stocks/000660/edit/"' in html
    [shown] = response.context["lists"]
    assert [item.stock.code for item in shown.items.all() if item.edit_form] == ["000660"]
    assert 'value="&lt;b&gt;메모&lt;/b&gt;"' in html and "<b>메모</b>" not in html
    for junk in ({"list": "x", "edit": "000660"}, {"list": default.pk, "edit": "999999"}, {"list": 99999, "edit": "1"}):
        response = trader.get("/watchlists/", junk)
        assert response.status_code == 200 and "/edit/" not in response.content.decode()


def test_the_shared_forms_buttons_post_to_their_items(trader, default, stocks):
    """What a browser sends for a button with form= and formaction=: the list's form (its CSRF
    token) to the button's URL, with the button's name and value."""
    for code in ("005930", "000660"):
        watchlist_add_stock(user=default.user, watchlist_id=default.pk, stock_code=code)
    trader.post(f"/watchlists/{default.pk}/stocks/000660/move/", {"position": "0"})
    assert codes(default) == ["000660", "005930"]
    trader.post(f"/watchlists/{default.pk}/stocks/000660/remove/", {})
    assert codes(default) == ["005930"]
