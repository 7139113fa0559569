"""Every watchlist call of alpaca-py; another user's lists answer 404."""

from uuid import uuid4

import pytest

from alpaca.common.exceptions import APIError
from alpaca.trading.requests import CreateWatchlistRequest, UpdateWatchlistRequest
from watchlist.models import Watchlist, WatchlistItem

pytestmark = pytest.mark.django_db(transaction=True)


def codes(watchlist) -> list[str]:
    return [asset.symbol for asset in watchlist.assets]


def test_create_read_update_add_remove_and_delete(client, trader, market):
    user, _key_id, _secret = trader
    default = client.get_watchlists()
    assert [w.name for w in default] == ["관심종목"]  # every user starts with one

    created = client.create_watchlist(CreateWatchlistRequest(name="tech", symbols=["005930", "000660"]))
    assert created.name == "tech" and codes(created) == ["005930", "000660"]
    assert created.account_id == client.get_account().id
    assert Watchlist.objects.get(public_id=created.id).user == user
    empty = client.create_watchlist(CreateWatchlistRequest(name="later", symbols=[]))
    assert codes(empty) == []
    assert [w.name for w in client.get_watchlists()] == ["관심종목", "tech", "later"]

    assert codes(client.get_watchlist_by_id(created.id)) == ["005930", "000660"]
    added = client.add_asset_to_watchlist_by_id(created.id, "035720")
    assert codes(added) == ["005930", "000660", "035720"]
    removed = client.remove_asset_from_watchlist_by_id(created.id, "000660")
    assert codes(removed) == ["005930", "035720"]

    item = WatchlistItem.objects.get(watchlist__public_id=created.id, stock__code="005930")
    item.memo = "keep me"
    item.save()
    updated = client.update_watchlist_by_id(
        created.id, UpdateWatchlistRequest(name="korea", symbols=["000660", "005930"])
    )
    assert updated.name == "korea" and codes(updated) == ["000660", "005930"]
    assert WatchlistItem.objects.get(watchlist__public_id=created.id, stock__code="005930").memo == "keep me"
    renamed = client.update_watchlist_by_id(created.id, UpdateWatchlistRequest(name="krx"))
    assert renamed.name == "krx" and codes(renamed) == ["000660", "005930"]

    assert client.delete_watchlist_by_id(created.id) is None
    assert [w.name for w in client.get_watchlists()] == ["관심종목", "later"]


def test_refusals_change_nothing(client, market):
    tech = client.create_watchlist(CreateWatchlistRequest(name="tech", symbols=["005930"]))
    cases = [
        (lambda: client.create_watchlist(CreateWatchlistRequest(name="TECH", symbols=[])), 422),
        (lambda: client.create_watchlist(CreateWatchlistRequest(name="new", symbols=["005930", "999999"])), 422),
        (lambda: client.create_watchlist(CreateWatchlistRequest(name="twice", symbols=["005930", "005930"])), 422),
        (lambda: client.add_asset_to_watchlist_by_id(tech.id, "005930"), 422),
        (lambda: client.add_asset_to_watchlist_by_id(tech.id, "999999"), 422),
        (lambda: client.update_watchlist_by_id(tech.id, UpdateWatchlistRequest(symbols=["000660", "nope"])), 422),
        (lambda: client.remove_asset_from_watchlist_by_id(tech.id, "000660"), 404),
        (lambda: client.remove_asset_from_watchlist_by_id(tech.id, "999999"), 404),
        (lambda: client.get_watchlist_by_id(uuid4()), 404),
        (lambda: client.delete_watchlist_by_id(uuid4()), 404),
    ]
    for call, status in cases:
        with pytest.raises(APIError) as error:
            call()
        assert error.value.status_code == status
        assert error.value.code == (42210000 if status == 422 else 40410000)
    assert [w.name for w in client.get_watchlists()] == ["관심종목", "tech"]
    assert codes(client.get_watchlist_by_id(tech.id)) == ["005930"]


def test_another_users_watchlists_are_not_found(client, other_client, market):
    mine = client.create_watchlist(CreateWatchlistRequest(name="mine", symbols=["005930"]))
    calls = (
        lambda: other_client.get_watchlist_by_id(mine.id),
        lambda: other_client.update_watchlist_by_id(mine.id, UpdateWatchlistRequest(name="stolen")),
        lambda: other_client.add_asset_to_watchlist_by_id(mine.id, "000660"),
        lambda: other_client.remove_asset_from_watchlist_by_id(mine.id, "005930"),
        lambda: other_client.delete_watchlist_by_id(mine.id),
    )
    for call in calls:
        with pytest.raises(APIError) as error:
            call()
        assert (error.value.status_code, error.value.code) == (404, 40410000)
    assert "mine" not in [w.name for w in other_client.get_watchlists()]
    assert (
        codes(client.get_watchlist_by_id(mine.id)) == ["005930"] and client.get_watchlist_by_id(mine.id).name == "mine"
    )
