"""Writes on watchlists. Every change to a list's items runs under that list's row lock, so
positions stay a gapless 0..n−1 sequence and the size limit holds under concurrent requests."""

from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max

from accounts.models import User
from stocking.core.db import atomic_with_retry
from stocking.core.exceptions import ApplicationError, NotFound
from trading import krx
from trading.models import Stock
from trading.services.orders import UnknownStock
from watchlist.models import DEFAULT_WATCHLIST_NAME, Watchlist, WatchlistItem

UNSET = object()  # "not given", as opposed to None ("clear it")


class DuplicateWatchlistName(ApplicationError):
    code = "duplicate_watchlist_name"
    default_message = "You already have a watchlist with that name."


class AlreadyInWatchlist(ApplicationError):
    code = "already_in_watchlist"
    default_message = "That stock is already on this watchlist."


class WatchlistLimit(ApplicationError):
    code = "watchlist_limit"
    status_code = 409
    default_message = "The watchlist limit is reached."


class InvalidWatchlist(ApplicationError):
    code = "invalid_watchlist"
    default_message = "The watchlist change is not valid."


def _lock_list(*, user: User, watchlist_id: int) -> Watchlist:
    # Lock so two requests editing the same list's items cannot both take the same position.
    watchlist = Watchlist.objects.select_for_update().filter(user=user, pk=watchlist_id).first()
    if watchlist is None:
        raise NotFound("No such watchlist.")
    return watchlist


def _lock_user_lists(*, user: User) -> list[Watchlist]:
    # Lock the user row so list creation, moves and the count limit see one consistent set of lists.
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk").first()
    return list(Watchlist.objects.filter(user=user).order_by("position", "id"))


def _move(rows: list, row, position: int) -> list:
    """Put `row` at `position` (clamped) and renumber everything 0..n−1; return what changed."""
    others = [r for r in rows if r.pk != row.pk]
    others.insert(max(0, min(position, len(others))), row)
    changed = []
    for index, item in enumerate(others):
        if item.position != index:
            item.position = index
            changed.append(item)
    return changed


def _same_name(a: str, b: str) -> bool:
    # One name regardless of case on every database, as MariaDB's collation already has it.
    return a.casefold() == b.casefold()


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidWatchlist("A watchlist needs a name.")
    if len(name) > Watchlist._meta.get_field("name").max_length:
        raise InvalidWatchlist("A watchlist name has at most 50 characters.")
    return name


def watchlist_create_default(*, user: User) -> Watchlist:
    """The list every user starts with. Part of the caller's transaction (sign-up)."""
    return Watchlist.objects.create(user=user, name=DEFAULT_WATCHLIST_NAME, position=0)


@atomic_with_retry
def watchlist_create(*, user: User, name: str) -> Watchlist:
    """A new list, placed last."""
    name = _clean_name(name)
    lists = _lock_user_lists(user=user)
    if len(lists) >= settings.WATCHLIST_MAX_LISTS:
        raise WatchlistLimit(f"You can keep at most {settings.WATCHLIST_MAX_LISTS} watchlists.")
    if any(_same_name(w.name, name) for w in lists):
        raise DuplicateWatchlistName()
    try:
        with transaction.atomic():
            return Watchlist.objects.create(user=user, name=name, position=len(lists))
    except IntegrityError as exc:  # MariaDB's collation: "Abc" is already "abc" to the unique index
        raise DuplicateWatchlistName() from exc


@atomic_with_retry
def watchlist_update(
    *, user: User, watchlist_id: int, name: str | None = None, position: int | None = None
) -> Watchlist:
    """Rename a list and/or move it to `position` among the user's lists."""
    lists = _lock_user_lists(user=user)
    watchlist = next((w for w in lists if w.pk == watchlist_id), None)
    if watchlist is None:
        raise NotFound("No such watchlist.")
    if name is not None:
        name = _clean_name(name)
        if any(_same_name(w.name, name) and w.pk != watchlist.pk for w in lists):
            raise DuplicateWatchlistName()
        watchlist.name = name
        try:
            with transaction.atomic():
                watchlist.save(update_fields=["name", "updated_at"])
        except IntegrityError as exc:  # as in watchlist_create
            raise DuplicateWatchlistName() from exc
    if position is not None:
        Watchlist.objects.bulk_update(_move(lists, watchlist, position), ["position"])
    return watchlist


@atomic_with_retry
def watchlist_delete(*, user: User, watchlist_id: int) -> None:
    lists = _lock_user_lists(user=user)
    watchlist = next((w for w in lists if w.pk == watchlist_id), None)
    if watchlist is None:
        raise NotFound("No such watchlist.")
    remaining = [w for w in lists if w.pk != watchlist_id]
    watchlist.delete()
    for index, item in enumerate(remaining):
        item.position = index
    Watchlist.objects.bulk_update(remaining, ["position"])


def _validate_target(target_price: Decimal | None) -> None:
    if target_price is not None and (target_price <= 0 or not krx.is_on_tick(target_price)):
        raise InvalidWatchlist("A target price is a positive price on the KRX tick grid.")


@atomic_with_retry
def watchlist_add_stock(
    *, user: User, watchlist_id: int, stock_code: str, memo: str = "", target_price: Decimal | None = None
) -> WatchlistItem:
    """Add a stock at the end of a list; a stock appears at most once per list."""
    stock = Stock.objects.filter(code=stock_code).first()
    if stock is None:
        raise UnknownStock(f"No stock with code {stock_code!r}.")
    _validate_target(target_price)
    watchlist = _lock_list(user=user, watchlist_id=watchlist_id)
    items = WatchlistItem.objects.filter(watchlist=watchlist)
    if items.filter(stock=stock).exists():
        raise AlreadyInWatchlist(f"{stock.name} ({stock.code}) is already on {watchlist.name}.")
    if items.count() >= settings.WATCHLIST_MAX_ITEMS:
        raise WatchlistLimit(f"A watchlist holds at most {settings.WATCHLIST_MAX_ITEMS} stocks.")
    last = items.aggregate(last=Max("position"))["last"]
    try:
        with transaction.atomic():
            item = WatchlistItem.objects.create(
                watchlist=watchlist,
                stock=stock,
                memo=memo.strip(),
                target_price=target_price,
                position=0 if last is None else last + 1,
            )
    except IntegrityError as exc:  # the unique constraint, should the lock ever be bypassed
        raise AlreadyInWatchlist() from exc
    item.stock = stock
    return item


def _lock_item(*, user: User, watchlist_id: int, stock_code: str) -> tuple[Watchlist, WatchlistItem]:
    if not Stock.objects.filter(code=stock_code).exists():
        raise UnknownStock(f"No stock with code {stock_code!r}.")
    watchlist = _lock_list(user=user, watchlist_id=watchlist_id)
    item = WatchlistItem.objects.filter(watchlist=watchlist, stock__code=stock_code).select_related("stock").first()
    if item is None:
        raise NotFound(f"{stock_code} is not on this watchlist.")
    return watchlist, item


@atomic_with_retry
def watchlist_update_item(
    *, user: User, watchlist_id: int, stock_code: str, memo=UNSET, target_price=UNSET, position: int | None = None
) -> WatchlistItem:
    """Edit an item's memo or target price (None clears it) and/or move it within its list."""
    watchlist, item = _lock_item(user=user, watchlist_id=watchlist_id, stock_code=stock_code)
    fields = []
    if memo is not UNSET:
        item.memo = (memo or "").strip()
        fields.append("memo")
    if target_price is not UNSET:
        _validate_target(target_price)
        item.target_price = target_price
        fields.append("target_price")
    if fields:
        item.save(update_fields=fields)
    if position is not None:
        rows = list(WatchlistItem.objects.filter(watchlist=watchlist).order_by("position", "id"))
        moved = next(r for r in rows if r.pk == item.pk)
        WatchlistItem.objects.bulk_update(_move(rows, moved, position), ["position"])
        item.position = moved.position
    return item


@atomic_with_retry
def watchlist_remove_stock(*, user: User, watchlist_id: int, stock_code: str) -> None:
    watchlist, item = _lock_item(user=user, watchlist_id=watchlist_id, stock_code=stock_code)
    item.delete()
    rows = list(WatchlistItem.objects.filter(watchlist=watchlist).order_by("position", "id"))
    for index, row in enumerate(rows):
        row.position = index
    WatchlistItem.objects.bulk_update(rows, ["position"])
