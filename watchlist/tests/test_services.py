from decimal import Decimal as D

import pytest

from accounts.tests.factories import UserFactory
from stocking.tests.threads import mysql_only, run_concurrently
from trading.tests.factories import StockFactory
from watchlist.models import Watchlist, WatchlistItem
from watchlist.services import InvalidWatchlist, watchlist_add_stock, watchlist_create, watchlist_update


@pytest.mark.django_db
def test_names_are_trimmed_and_checked_in_the_service_too(user):
    assert watchlist_create(user=user, name="  장기투자 ").name == "장기투자"
    with pytest.raises(InvalidWatchlist):
        watchlist_create(user=user, name=" ")
    with pytest.raises(InvalidWatchlist):
        watchlist_update(user=user, watchlist_id=Watchlist.objects.first().pk, name="x" * 51)


@pytest.mark.django_db
def test_moving_past_the_end_puts_the_list_last(user):
    first = Watchlist.objects.get(user=user)
    watchlist_create(user=user, name="b")
    watchlist_update(user=user, watchlist_id=first.pk, position=99)
    assert list(Watchlist.objects.filter(user=user).order_by("position").values_list("name", flat=True)) == [
        "b",
        "관심종목",
    ]


@mysql_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_adds_keep_positions_unique_and_the_limit(settings):
    settings.WATCHLIST_MAX_ITEMS = 5
    user = UserFactory()
    watchlist = Watchlist.objects.get(user=user)
    stocks = [StockFactory(code=f"{500000 + i:06d}", current_price=D("1000")) for i in range(8)]
    calls = [
        lambda code=stock.code: watchlist_add_stock(user=user, watchlist_id=watchlist.pk, stock_code=code)
        for stock in stocks
    ]
    calls += [lambda: watchlist_add_stock(user=user, watchlist_id=watchlist.pk, stock_code=stocks[0].code)] * 3
    run_concurrently(calls)
    positions = sorted(WatchlistItem.objects.filter(watchlist=watchlist).values_list("position", flat=True))
    assert positions == [0, 1, 2, 3, 4]


@pytest.mark.django_db
def test_the_data_migration_gives_existing_users_without_a_list_the_default_one(user):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("watchlist.migrations.0002_default_lists")
    Watchlist.objects.filter(user=user).delete()
    keeper = UserFactory()
    watchlist_create(user=keeper, name="second")
    migration.create_default_lists(apps, None)
    assert list(Watchlist.objects.filter(user=user).values_list("name", "position")) == [("관심종목", 0)]
    assert Watchlist.objects.filter(user=keeper).count() == 2
