"""Portfolio pages: holdings with the allocation and equity curve, the account reset, trading
statistics and the leaderboard. Figures come from portfolio.selectors; the reset from trading's
service. Views only pick the period, draw the charts and format the messages."""

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portfolio.forms import ResetForm
from portfolio.position_rows import position_rows
from portfolio.selectors import (
    HISTORY_PERIODS,
    STATS_PERIODS,
    leaderboard,
    portfolio_history,
    portfolio_stats,
    portfolio_value,
)
from portfolio.selectors.series import drawdown_series, realized_pnl_series
from portfolio.selectors.valuation import PortfolioValue, Slice, allocation_of
from stocking.core.charts import Wedge, bar_svg, donut_svg, line_svg, wedges, won_axis_label
from stocking.core.exceptions import ApplicationError
from stocking.core.money import rate_percent
from stocking.core.page_errors import add_error
from stocking.core.templatetags.stocking_format import number, won
from trading.services.reset import account_reset

LEADERBOARD_PAGE_SIZE = 50
# The positions table pages past this many rows (the figures, charts and live refresh cover all):
# each row costs ~50 µs to format and render, a whole table of 200 more than the rest of the page.
POSITIONS_PAGE_SIZE = 50
HISTORY_LABELS = {
    "1w": gettext_lazy("1W"),
    "1m": gettext_lazy("1M"),
    "3m": gettext_lazy("3M"),
    "1y": gettext_lazy("1Y"),
    "all": gettext_lazy("All"),
}
STATS_LABELS = {
    "day": gettext_lazy("Today"),
    "week": gettext_lazy("This week"),
    "month": gettext_lazy("This month"),
    "year": gettext_lazy("This year"),
    "all": gettext_lazy("All"),
}


def _period(request: HttpRequest, allowed: tuple[str, ...], default: str) -> str:
    period = request.GET.get("period", "")
    return period if period in allowed else default


def _percent(value: float) -> str:
    return f"{value:,.0f}%"


def _legend(items: list[Wedge], total: Decimal) -> list[dict]:
    return [{"label": w.label, "value": w.value, "weight": rate_percent(w.value, total), "css": w.css} for w in items]


def _allocation(value: PortfolioValue) -> list[dict]:
    """Two rings, by stock and by sector, each with cash as its own slice (from the positions the
    page already read)."""
    allocation = allocation_of(value)
    cash = Wedge(_("Cash"), allocation.cash.value, "slice-cash")

    def ring(slices: list[Slice], title: str, rest: str) -> dict:
        shown = [cash, *wedges([(s.label, s.value) for s in slices], rest_label=rest)]
        return {
            "title": title,
            "svg": donut_svg(shown, title=title),
            "legend": _legend([w for w in shown if w.value > 0], allocation.total_value),
        }

    return [
        ring(allocation.by_stock, _("By stock"), _("Other stocks")),
        ring(allocation.by_sector, _("By sector"), _("Other sectors")),
    ]


@login_required
def portfolio(request: HttpRequest) -> HttpResponse:
    return _render_portfolio(request, ResetForm())


def _render_portfolio(request: HttpRequest, reset_form: ResetForm) -> HttpResponse:
    period = _period(request, HISTORY_PERIODS, "3m")
    value = portfolio_value(user=request.user)
    history = portfolio_history(user=request.user, period=period, value=value)
    title = _("Total value, %(period)s") % {"period": HISTORY_LABELS[period]}
    positions = Paginator(value.positions, POSITIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "value": value,
        "positions_page": positions,
        "position_rows": position_rows(positions.object_list),
        "allocation": _allocation(value),
        "period": period,
        "periods": HISTORY_LABELS,
        "curve": line_svg([(p.date, p.total_value) for p in history], title=title, axis_label=won_axis_label),
        "curve_points": len(history),
        "reset_form": reset_form,
    }
    return render(request, "portfolio/portfolio.html", context)


@login_required
@require_POST
def reset(request: HttpRequest) -> HttpResponse:
    form = ResetForm(request.POST)
    if form.is_valid():
        try:
            done = account_reset(user=request.user, confirm=form.cleaned_data["confirm"])
        except ApplicationError as exc:
            add_error(form, exc, {"reset_not_confirmed": "confirm"})
        else:
            params = {
                "orders": number(done.orders_cancelled),
                "positions": number(done.positions_removed),
                "cash": won(done.cash_after),
            }
            messages.success(
                request,
                _(
                    "Your account starts over: %(orders)s open orders cancelled, %(positions)s positions "
                    "removed, cash set to %(cash)s. Past orders and the ledger are kept."
                )
                % params,
            )
            return redirect("portfolio:portfolio")
    return _render_portfolio(request, form)


@login_required
def analytics(request: HttpRequest) -> HttpResponse:
    period = _period(request, STATS_PERIODS, "all")
    stats = portfolio_stats(user=request.user, period=period)
    realized = realized_pnl_series(user=request.user, since=stats.since)
    drawdown = drawdown_series(user=request.user, since=stats.since.date() if stats.since else None)
    label = STATS_LABELS[period]
    context = {
        "stats": stats,
        "period": period,
        "periods": STATS_LABELS,
        "realized_days": len(realized),
        "realized_total": realized[-1].cumulative if realized else None,
        "realized_chart": bar_svg(
            [(day.date, day.realized_pnl) for day in realized],
            title=_("Realized P/L per day, %(period)s") % {"period": label},
            axis_label=won_axis_label,
        ),
        "drawdown_chart": line_svg(
            [(point.date, point.rate) for point in drawdown],
            title=_("Drawdown from the peak, %(period)s") % {"period": label},
            axis_label=_percent,
        )
        if len(drawdown) > 1
        else "",
    }
    return render(request, "portfolio/analytics.html", context)


@login_required
def leaderboard_page(request: HttpRequest) -> HttpResponse:
    rows = leaderboard(viewer=request.user)
    page = Paginator(rows, LEADERBOARD_PAGE_SIZE).get_page(request.GET.get("page"))
    mine = next((index for index, row in enumerate(rows) if row.is_you), None)
    context = {
        "page": page,
        "me": rows[mine] if mine is not None else None,
        "my_page": mine // LEADERBOARD_PAGE_SIZE + 1 if mine is not None else None,
        "min_capital": settings.LEADERBOARD_MIN_CAPITAL,
    }
    return render(request, "portfolio/leaderboard.html", context)
