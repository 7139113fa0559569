"""Reads of watchlists: each list with its items and their stocks' live quotes in two queries."""

from django.db.models import Prefetch, QuerySet

from accounts.models import User
from stocking.core.exceptions import NotFound
from watchlist.models import Watchlist, WatchlistItem


def _with_items(queryset: QuerySet[Watchlist]) -> QuerySet[Watchlist]:
    items = WatchlistItem.objects.select_related("stock").order_by("position", "id")
    return queryset.prefetch_related(Prefetch("items", queryset=items))


def watchlist_list(*, user: User) -> QuerySet[Watchlist]:
    return _with_items(Watchlist.objects.filter(user=user).order_by("position", "id"))


def watchlist_get(*, user: User, watchlist_id: int) -> Watchlist:
    watchlist = _with_items(Watchlist.objects.filter(user=user, pk=watchlist_id)).first()
    if watchlist is None:
        raise NotFound("No such watchlist.")
    return watchlist


def watchlists_containing(*, user: User, stock_id: int) -> set[int]:
    """Ids of the user's lists that already hold the stock (the stock page's "add" menu)."""
    return set(
        WatchlistItem.objects.filter(watchlist__user=user, stock_id=stock_id).values_list("watchlist_id", flat=True)
    )
