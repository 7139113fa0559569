"""Market and order pages: the stock list, a stock's page with its order ticket, the orders page.
Views only shape input and output; placing, cancelling and modifying go through trading.services."""

from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from stocking.core.charts import candlestick_svg
from stocking.core.exceptions import ApplicationError
from stocking.core.page_errors import add_error, error_message
from stocking.core.templatetags.stocking_format import number, price_change, won
from trading import krx, selectors
from trading.forms import MarketFilterForm, ModifyForm, OcoForm, OrderForm, is_modifiable, order_type_rules
from trading.models import STOP_TYPES, Order, OrderSide, OrderStatus, PriceBar, Stock
from trading.sectors import Sector
from trading.services import order_cancel, order_modify, order_place
from trading.services.market_day import daily_bar_start
from trading.services.oco_orders import oco_place
from trading.services.orders import stock_price_limits
from trading.templatetags.trading_labels import cancel_reason_label, side_label, status_label, status_labels
from watchlist.selectors import watchlist_list, watchlists_containing

MARKET_PAGE_SIZE = 30
ORDERS_PAGE_SIZE = 20
CHART_BARS = 120
OPEN = "pending,partially_filled"
ORDER_TABS = {"open": OPEN, "filled": "filled", "closed": "cancelled,expired,rejected"}
# Which ticket field a domain error belongs next to; other codes go on top of the form.
ORDER_ERROR_FIELDS = {
    "insufficient_cash": "quantity",
    "insufficient_shares": "quantity",
    "invalid_tick_size": "limit_price",
    "price_out_of_limit": "limit_price",
    "invalid_stop_price": "stop_price",
    "invalid_trail": "trail_price",
    "invalid_time_in_force": "time_in_force",
    "invalid_order_type": "order_type",
}
OCO_ERROR_FIELDS = {
    "insufficient_shares": "quantity",
    "invalid_stop_price": "stop_price",
    "invalid_tick_size": "limit_price",
    "price_out_of_limit": "limit_price",
    "invalid_time_in_force": "time_in_force",
}


def _order_error_fields(data: dict) -> dict[str, str]:
    # A trail given in percent is corrected in the percent box, not the won one.
    if data.get("trail_percent") is not None:
        return ORDER_ERROR_FIELDS | {"invalid_trail": "trail_percent"}
    return ORDER_ERROR_FIELDS


def market(request: HttpRequest) -> HttpResponse:
    form = MarketFilterForm(request.GET, sectors=Sector.values)  # the fixed KRX list: no query
    filters = form.filters()
    stocks = selectors.stock_list(search=filters["q"], market=filters["market"], sector=filters["sector"])
    page = Paginator(stocks, MARKET_PAGE_SIZE).get_page(request.GET.get("page"))
    # The same filters and page as this list, so the poll answers exactly the rows on screen.
    query = {"search": filters["q"], "market": filters["market"], "sector": filters["sector"]}
    query |= {"page": page.number, "page_size": MARKET_PAGE_SIZE}
    context = {
        "form": form,
        "page": page,
        "filters": filters,
        "poll_url": f"{reverse('stock-list')}?{urlencode({k: v for k, v in query.items() if v})}",
    }
    return render(request, "trading/market.html", context)


def _chart_interval(request: HttpRequest) -> str:
    interval = request.GET.get("interval", "")
    return interval if interval in PriceBar.Interval.values else PriceBar.Interval.DAY


def _today_bar(stock: Stock, bars: list) -> SimpleNamespace | None:
    """Today's forming daily candle from the quote: daily bars are only written at the day roll."""
    if stock.current_price is None or stock.day_open is None or stock.trading_date is None:
        return None
    start = daily_bar_start(stock.trading_date)
    if bars and bars[-1].start >= start:
        return None
    return SimpleNamespace(
        start=start,
        open=stock.day_open,
        high=max(stock.day_high or stock.current_price, stock.current_price),
        low=min(stock.day_low or stock.current_price, stock.current_price),
        close=stock.current_price,
        volume=stock.volume,
    )


def _chart(stock: Stock, interval: str) -> dict:
    bars = selectors.candle_list(stock=stock, interval=interval, limit=CHART_BARS)
    if interval == PriceBar.Interval.DAY and (today := _today_bar(stock, bars)):
        bars = [*bars[-(CHART_BARS - 1) :], today]
    label = _("1-minute candles") if interval == PriceBar.Interval.MINUTE else _("Daily candles")
    return {
        "interval": interval,
        "svg": candlestick_svg(bars, title=f"{stock.name} · {label}", intraday=interval == PriceBar.Interval.MINUTE),
    }


def stock_chart(request: HttpRequest, code: str) -> HttpResponse:
    """The chart alone, for static/js/chart.js to swap in without reloading the page."""
    stock = get_object_or_404(Stock, code=code)
    return render(request, "trading/_chart.html", {"stock": stock, "chart": _chart(stock, _chart_interval(request))})


def stock_detail(request: HttpRequest, code: str) -> HttpResponse:
    stock = get_object_or_404(Stock, code=code)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        form = OrderForm(request.POST)
        if form.is_valid():
            try:
                placed = order_place(user=request.user, stock_code=stock.code, **form.cleaned_data)
            except ApplicationError as exc:
                add_error(form, exc, _order_error_fields(form.cleaned_data))
            else:
                messages.success(request, _placed_message(placed.order, created=placed.created))
                return redirect("trading:stock", code=stock.code)
    else:
        form = OrderForm(initial={"limit_price": stock.current_price})
    return render(request, "trading/stock.html", _stock_context(request, stock, form))


def stock_oco(request: HttpRequest, code: str) -> HttpResponse:
    """The stock page's stop-loss / take-profit form (templates/trading/_oco.html)."""
    stock = get_object_or_404(Stock, code=code)
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("trading:stock", args=[stock.code]))
    if request.method != "POST":
        return redirect("trading:stock", code=stock.code)
    oco_form = OcoForm(request.POST, auto_id="oco_%s")
    if oco_form.is_valid():
        try:
            pair = oco_place(user=request.user, stock_code=stock.code, **oco_form.cleaned_data)
        except ApplicationError as exc:
            add_error(oco_form, exc, OCO_ERROR_FIELDS)
        else:
            messages.success(request, _oco_message(stock, *pair.orders))
            return redirect("trading:stock", code=stock.code)
    form = OrderForm(initial={"limit_price": stock.current_price})
    return render(request, "trading/stock.html", _stock_context(request, stock, form, oco_form=oco_form))


def _oco_message(stock: Stock, stop: Order, take: Order) -> str:
    take.refresh_from_db()
    params = {
        "name": stock.name,
        "quantity": number(take.quantity),
        "stop": won(stop.stop_price),
        "limit": won(take.limit_price),
        "stop_id": stop.pk,
        "take_id": take.pk,
        "price": won(take.average_fill_price),
    }
    if take.status == OrderStatus.FILLED:
        return _("Take-profit #%(take_id)s filled at once at %(price)s; stop-loss #%(stop_id)s is cancelled.") % params
    return (
        _(
            "Stop-loss / take-profit on %(quantity)s × %(name)s: sells at the market once the price falls to "
            "%(stop)s (#%(stop_id)s), or at %(limit)s (#%(take_id)s), whichever comes first."
        )
        % params
    )


def _oco_initial(stock: Stock, quantity: int) -> dict:
    """A starting point a few percent either side of the price, on the grid and inside the limits."""
    limits = stock_price_limits(stock)
    price = stock.current_price
    stop = limits.clamp(krx.floor_to_tick(price * Decimal("0.95")))
    take = limits.clamp(krx.ceil_to_tick(price * Decimal("1.05")))
    return {"quantity": quantity, "stop_price": stop, "limit_price": take}


def _stock_context(request: HttpRequest, stock: Stock, form: OrderForm, *, oco_form: OcoForm | None = None) -> dict:
    priced = stock.current_price is not None
    context = {
        "stock": stock,
        "form": form,
        "chart": _chart(stock, _chart_interval(request)),
        "limits": stock_price_limits(stock) if priced else None,
        "tick_size": krx.tick_size(stock.current_price) if priced else None,
        "tick_table": [[str(bound), str(tick)] for bound, tick in krx.TICK_TABLE] + [[None, str(krx.TOP_TICK)]],
        "status_labels": status_labels(),
        "order_type_rules": order_type_rules(),
    }
    change = price_change(stock.current_price, stock.previous_close)
    context["change"], context["change_rate"] = change if change else (None, None)
    if request.user.is_authenticated:
        holding = watchlists_containing(user=request.user, stock_id=stock.pk)
        # Names only: the lists' items are not needed here, so their prefetch is dropped.
        lists = watchlist_list(user=request.user).prefetch_related(None)
        context["watchlists"] = [{"id": w.pk, "name": w.name, "holds": w.pk in holding} for w in lists]
        context["watchlists_holding"] = [w for w in context["watchlists"] if w["holds"]]
        orders = selectors.order_list(user=request.user, stock=stock.code)
        context["open_orders"] = list(orders.filter(status__in=OPEN.split(",")))
        context["recent_orders"] = list(orders.exclude(status__in=OPEN.split(","))[:5])
        _mark_oco_partners(request.user, [*context["open_orders"], *context["recent_orders"]])
        if priced:
            # The ticket opens as a limit order at the current price; ticket.js follows later changes.
            price = stock.current_price
            context["buyable"] = selectors.orderable(user=request.user, stock=stock, side=OrderSide.BUY, price=price)
            context["sellable"] = sellable = selectors.orderable(
                user=request.user, stock=stock, side=OrderSide.SELL, price=None
            )
            if oco_form is None and sellable.max_quantity:
                oco_form = OcoForm(initial=_oco_initial(stock, sellable.max_quantity), auto_id="oco_%s")
            context["oco_form"] = oco_form
    return context


def _mark_oco_partners(user, orders: list[Order]) -> None:
    """Give each order of a stop-loss / take-profit pair `oco_partner`, the other order's id."""
    groups = {order.oco_group for order in orders if order.oco_group is not None}
    if not groups:
        return
    members = Order.objects.filter(user=user, oco_group__in=groups).values_list("oco_group", "pk")
    by_group: dict = {}
    for group, pk in members:
        by_group.setdefault(group, []).append(pk)
    for order in orders:
        if order.oco_group is not None:
            order.oco_partner = next((pk for pk in by_group.get(order.oco_group, []) if pk != order.pk), None)


def _placed_message(order: Order, *, created: bool) -> str:
    order.refresh_from_db()
    params = {
        "id": order.pk,
        "side": side_label(order.side),
        "name": order.stock.name,
        "quantity": number(order.quantity),
        "filled": number(order.filled_quantity),
        "price": won(order.average_fill_price if order.filled_quantity else order.limit_price),
        "status": status_label(order.status),
    }
    if not created:
        return _("Order #%(id)s was already placed; nothing new was sent.") % params
    if order.status == OrderStatus.PENDING and order.order_type in STOP_TYPES and order.triggered_at is None:
        params["stop"] = won(order.stop_price)
        return _("Order #%(id)s placed: %(side)s %(quantity)s × %(name)s once the price reaches %(stop)s.") % params
    if order.cancel_reason:
        params["reason"] = cancel_reason_label(order.cancel_reason)
        if order.filled_quantity:
            return (
                _(
                    "Order #%(id)s filled %(filled)s of %(quantity)s × %(name)s at %(price)s; "
                    "the rest is cancelled (%(reason)s)."
                )
                % params
            )
        return _("Order #%(id)s is %(status)s (%(reason)s).") % params
    if order.status == OrderStatus.FILLED:
        return _("Order #%(id)s filled: %(side)s %(quantity)s × %(name)s at %(price)s.") % params
    if order.status == OrderStatus.PARTIALLY_FILLED:
        return _("Order #%(id)s partly filled: %(filled)s of %(quantity)s × %(name)s at %(price)s so far.") % params
    if order.status == OrderStatus.PENDING:
        return _("Order #%(id)s placed: %(side)s %(quantity)s × %(name)s at %(price)s, waiting to fill.") % params
    return _("Order #%(id)s is %(status)s.") % params


@login_required
def orders(request: HttpRequest) -> HttpResponse:
    return _render_orders(request)


def _render_orders(request: HttpRequest, *, failed: tuple[int, ModifyForm] | None = None) -> HttpResponse:
    tab = request.GET.get("tab", "open")
    if failed or (tab not in ORDER_TABS and tab != "executions"):
        tab = "open"
    if tab == "executions":
        rows = selectors.execution_list(user=request.user)
    else:
        rows = selectors.order_list(user=request.user, status=ORDER_TABS[tab])
    page = Paginator(rows, ORDERS_PAGE_SIZE).get_page(request.GET.get("page"))
    if tab != "executions":
        _mark_oco_partners(request.user, list(page))
    if tab == "open":
        shown = False
        for order in page:
            if not is_modifiable(order):
                continue
            if failed and failed[0] == order.pk:
                order.modify_form, shown = failed[1], True
            else:
                order.modify_form = ModifyForm.for_order(order)
        if failed and not shown:
            for error in failed[1].errors.values():
                messages.error(request, " ".join(error))
    context = {"tab": tab, "page": page, "tabs": ["open", "filled", "closed", "executions"]}
    context["status_labels"] = status_labels()
    return render(request, "trading/orders.html", context)


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("trading:orders")


@login_required
@require_POST
def order_cancel_view(request: HttpRequest, order_id: int) -> HttpResponse:
    try:
        order = order_cancel(user=request.user, order_id=order_id)
    except ApplicationError as exc:
        messages.error(request, error_message(exc))
    else:
        messages.success(request, _("Order #%(id)s cancelled; its hold is released.") % {"id": order.pk})
    return redirect(_back(request))


@login_required
@require_POST
def order_modify_view(request: HttpRequest, order_id: int) -> HttpResponse:
    order = get_object_or_404(Order, pk=order_id, user=request.user)
    form = ModifyForm(request.POST, order=order, auto_id=f"order{order.pk}_%s")
    if form.is_valid():
        try:
            order = order_modify(user=request.user, order_id=order.pk, **form.cleaned_data)
        except ApplicationError as exc:
            add_error(form, exc, _order_error_fields(form.cleaned_data))
        else:
            params = {"id": order.pk, "quantity": number(order.quantity), "price": won(order.limit_price)}
            if order.order_type in STOP_TYPES and order.triggered_at is None:
                params["stop"] = won(order.stop_price)
                text = _("Order #%(id)s changed: %(quantity)s, stop at %(stop)s.") % params
            else:
                text = _("Order #%(id)s changed: %(quantity)s at %(price)s.") % params
            messages.success(request, text)
            return redirect(f"{reverse('trading:orders')}?tab=open")
    return _render_orders(request, failed=(order.pk, form))
