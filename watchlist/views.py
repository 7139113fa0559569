"""Watchlist pages: every list with its stocks and live quotes, and the forms that create, rename,
move and delete lists and add, edit, move and remove stocks. Each write is one call to
watchlist.services; another user's list is a 404 page, as in the API."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from stocking.core.exceptions import ApplicationError, NotFound
from stocking.core.money import rate_percent
from stocking.core.page_errors import add_error
from stocking.core.page_urls import link, url_template
from stocking.core.templatetags.stocking_format import number, quote_change, rate, won
from trading import selectors as trading_selectors
from trading.services.orders import UnknownStock
from watchlist import selectors, services
from watchlist.forms import AddStockForm, ItemForm, PositionForm, WatchlistNameForm

SEARCH_RESULTS = 10
NAME_ERRORS = {"duplicate_watchlist_name": "name", "invalid_watchlist": "name"}
ITEM_ERRORS = {
    "already_in_watchlist": "stock",
    "unknown_stock": "stock",
    "invalid_watchlist": "target_price",
}

Failed = tuple[tuple, object]  # (which form, the bound form with its errors)


def _failed(failed: Failed | None, key: tuple):
    return failed[1] if failed and failed[0] == key else None


@login_required
def watchlists(request: HttpRequest) -> HttpResponse:
    return _render(request)


def _editing(request: HttpRequest) -> tuple[int, str] | None:
    """The item whose edit form the page opens: ?list=<id>&edit=<code> (each row's Edit link)."""
    watchlist_id, code = request.GET.get("list", ""), request.GET.get("edit", "")
    return (int(watchlist_id), code) if watchlist_id.isdigit() and code else None


def _render(request: HttpRequest, failed: Failed | None = None) -> HttpResponse:
    """The page, with a failed form (if any) back in its place showing its errors.

    A list of 200 stocks is a table of 200 rows, so each row is cheap: its cells are formatted here
    (a dict per row), its links filled into URLs reversed once, its move and remove buttons submit
    one form per list (form= and formaction=, no form or CSRF token per row), and only one item has
    an edit form: the one its row's Edit link opened, or whose edit just failed."""
    lists = list(selectors.watchlist_list(user=request.user))
    editing = _editing(request)
    stock_url = url_template("trading:stock", "code")
    watchlists_url = reverse("watchlist:watchlists")
    actions = {name: url_template(f"watchlist:item-{name}", "watchlist_id", "code") for name in ("move", "remove")}
    up_label, down_label, remove_label = _("Move %(name)s up"), _("Move %(name)s down"), _("Remove %(name)s")
    places = {("create",)}
    for watchlist in lists:
        prefix = f"wl{watchlist.pk}"
        places |= {("rename", watchlist.pk), ("add", watchlist.pk)}
        watchlist.rename_form = _failed(failed, ("rename", watchlist.pk)) or WatchlistNameForm(
            initial={"name": watchlist.name}, auto_id=f"{prefix}_name_%s"
        )
        watchlist.add_form = _failed(failed, ("add", watchlist.pk)) or AddStockForm(
            initial={"watchlist": watchlist.pk}, auto_id=f"{prefix}_add_%s"
        )
        watchlist.items_form_id = f"{prefix}-items"
        watchlist.rows = []
        items = watchlist.items.all()
        for index, item in enumerate(items):
            stock = item.stock
            code, name, price = stock.code, stock.name, stock.current_price
            places.add(("item", watchlist.pk, code))
            item.target_gap_rate = (
                rate_percent(item.target_price - price, price) if item.target_price and price else None
            )
            item.edit_form = _failed(failed, ("item", watchlist.pk, code))
            if item.edit_form is None and editing == (watchlist.pk, code):
                item.edit_form = ItemForm(
                    initial={"memo": item.memo, "target_price": item.target_price}, auto_id=f"{prefix}_{code}_%s"
                )
            ids = {"watchlist_id": watchlist.pk, "code": code}
            watchlist.rows.append(
                {
                    "code": code,
                    "name": name,
                    "anchor": f"item-{watchlist.pk}-{code}",
                    "url": link(stock_url, code=code),
                    "halted": stock.is_halted,
                    # Formatted numbers hold no markup: marked safe, the template skips escaping them.
                    "price": mark_safe(number(price)),
                    "change": quote_change(stock),
                    "target": mark_safe(number(item.target_price)) if item.target_price else "",
                    "target_gap": mark_safe(rate(item.target_gap_rate)),
                    "memo": item.memo,
                    "move_url": link(actions["move"], **ids),
                    "remove_url": link(actions["remove"], **ids),
                    "up": index - 1,
                    "down": index + 1,
                    "up_label": up_label % {"name": name},
                    "down_label": down_label % {"name": name},
                    "remove_label": remove_label % {"name": name},
                    "edit_url": f"{watchlists_url}?{urlencode({'list': watchlist.pk, 'edit': code})}"
                    f"#item-{watchlist.pk}-{code}",
                    "edit_form": item.edit_form,
                    "edit_action": link(url_template("watchlist:item-edit", "watchlist_id", "code"), **ids)
                    if item.edit_form is not None
                    else "",
                }
            )
    if failed and failed[0] not in places:
        if len(failed[0]) > 1 and failed[0][1] not in {w.pk for w in lists}:
            raise Http404  # another user's list (or none at all), whatever the input was
        for errors in failed[1].errors.values():  # the item went away meanwhile: say it on top
            messages.error(request, " ".join(errors))
    query = request.GET.get("q", "").strip()[:50]
    context = {
        "lists": lists,
        "create_form": _failed(failed, ("create",)) or WatchlistNameForm(auto_id="new_list_%s"),
        "query": query,
        "results": list(trading_selectors.stock_list(search=query)[:SEARCH_RESULTS]) if query else [],
    }
    return render(request, "watchlist/watchlists.html", context)


def _back(request: HttpRequest) -> str | None:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def _done(request: HttpRequest, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect(_back(request) or reverse("watchlist:watchlists"))


@login_required
@require_POST
def watchlist_create(request: HttpRequest) -> HttpResponse:
    form = WatchlistNameForm(request.POST, auto_id="new_list_%s")
    if form.is_valid():
        try:
            created = services.watchlist_create(user=request.user, name=form.cleaned_data["name"])
        except ApplicationError as exc:
            add_error(form, exc, NAME_ERRORS)
        else:
            return _done(request, _("Watchlist “%(name)s” created.") % {"name": created.name})
    return _render(request, (("create",), form))


@login_required
@require_POST
def watchlist_rename(request: HttpRequest, watchlist_id: int) -> HttpResponse:
    form = WatchlistNameForm(request.POST, auto_id=f"wl{watchlist_id}_name_%s")
    if form.is_valid():
        try:
            renamed = services.watchlist_update(
                user=request.user, watchlist_id=watchlist_id, name=form.cleaned_data["name"]
            )
        except NotFound:
            raise Http404
        except ApplicationError as exc:
            add_error(form, exc, NAME_ERRORS)
        else:
            return _done(request, _("Watchlist renamed to “%(name)s”.") % {"name": renamed.name})
    return _render(request, (("rename", watchlist_id), form))


def _position(request: HttpRequest) -> int | None:
    form = PositionForm(request.POST)
    return form.cleaned_data["position"] if form.is_valid() else None


@login_required
@require_POST
def watchlist_move(request: HttpRequest, watchlist_id: int) -> HttpResponse:
    position = _position(request)
    try:
        if position is None:
            selectors.watchlist_get(user=request.user, watchlist_id=watchlist_id)  # a 404 outranks bad input
        else:
            services.watchlist_update(user=request.user, watchlist_id=watchlist_id, position=position)
    except NotFound:
        raise Http404
    return redirect("watchlist:watchlists")


@login_required
@require_POST
def watchlist_delete(request: HttpRequest, watchlist_id: int) -> HttpResponse:
    try:
        watchlist = selectors.watchlist_get(user=request.user, watchlist_id=watchlist_id)
        services.watchlist_delete(user=request.user, watchlist_id=watchlist_id)
    except NotFound:
        raise Http404
    return _done(request, _("Watchlist “%(name)s” deleted.") % {"name": watchlist.name})


@login_required
@require_POST
def item_add(request: HttpRequest) -> HttpResponse:
    """Add a stock to a list: from a list's own form, the search results or the stock page."""
    watchlist_id = request.POST.get("watchlist", "")
    prefix = f"wl{watchlist_id}_add_%s" if watchlist_id.isdigit() else "add_%s"
    form = AddStockForm(request.POST, auto_id=prefix)
    if form.is_valid():
        data = form.cleaned_data
        try:
            item = services.watchlist_add_stock(
                user=request.user,
                watchlist_id=data["watchlist"],
                stock_code=data["stock"],
                memo=data["memo"],
                target_price=data["target_price"],
            )
        except NotFound:
            raise Http404
        except ApplicationError as exc:
            add_error(form, exc, ITEM_ERRORS)
        else:
            params = {"stock": item.stock.name, "list": item.watchlist.name}
            return _done(request, _("%(stock)s added to “%(list)s”.") % params)
    back = _back(request)
    if back:  # the stock page and the search results have no room for field errors: say it on top
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect(back)
    key = ("add", form.cleaned_data.get("watchlist") or (int(watchlist_id) if watchlist_id.isdigit() else None))
    return _render(request, (key, form))


@login_required
@require_POST
def item_edit(request: HttpRequest, watchlist_id: int, code: str) -> HttpResponse:
    form = ItemForm(request.POST, auto_id=f"wl{watchlist_id}_{code}_%s")
    if form.is_valid():
        try:
            item = services.watchlist_update_item(
                user=request.user,
                watchlist_id=watchlist_id,
                stock_code=code,
                memo=form.cleaned_data["memo"],
                target_price=form.cleaned_data["target_price"],
            )
        except (NotFound, UnknownStock):
            raise Http404
        except ApplicationError as exc:
            add_error(form, exc, ITEM_ERRORS)
        else:
            target = won(item.target_price) if item.target_price else _("none")
            return _done(
                request, _("%(stock)s saved (target: %(target)s).") % {"stock": item.stock.name, "target": target}
            )
    return _render(request, (("item", watchlist_id, code), form))


@login_required
@require_POST
def item_move(request: HttpRequest, watchlist_id: int, code: str) -> HttpResponse:
    position = _position(request)
    try:
        services.watchlist_update_item(user=request.user, watchlist_id=watchlist_id, stock_code=code, position=position)
    except (NotFound, UnknownStock):
        raise Http404
    return redirect("watchlist:watchlists")


@login_required
@require_POST
def item_remove(request: HttpRequest, watchlist_id: int, code: str) -> HttpResponse:
    try:
        watchlist = selectors.watchlist_get(user=request.user, watchlist_id=watchlist_id)
        services.watchlist_remove_stock(user=request.user, watchlist_id=watchlist_id, stock_code=code)
    except (NotFound, UnknownStock):
        raise Http404
    name = next((item.stock.name for item in watchlist.items.all() if item.stock.code == code), code)
    return _done(request, _("%(stock)s removed from “%(list)s”.") % {"stock": name, "list": watchlist.name})
