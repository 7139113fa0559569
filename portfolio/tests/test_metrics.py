from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from portfolio.metrics import CurvePoint, flow_adjusted_index, max_drawdown, period_pnl

DAY = date(2026, 11, 2)


def curve(*points: tuple[str, str]) -> list[CurvePoint]:
    return [CurvePoint(DAY + timedelta(days=i), D(value), D(capital)) for i, (value, capital) in enumerate(points)]


@pytest.mark.parametrize(
    ("points", "rate", "peak", "trough"),
    [
        pytest.param([("100", "100")] * 3, "0.00", None, None, id="flat"),
        pytest.param([("100", "100"), ("120", "100"), ("90", "100"), ("110", "100")], "25.00", 1, 2, id="rise-fall"),
        pytest.param([("100", "100"), ("200", "200"), ("190", "200")], "5.00", 1, 2, id="deposit-is-no-gain"),
        pytest.param([("100", "100"), ("50", "50"), ("55", "50")], "0.00", None, None, id="withdrawal-is-no-loss"),
        pytest.param([("100", "100"), ("80", "100"), ("60", "100"), ("100", "100")], "40.00", 0, 2, id="deepest"),
        pytest.param([("0", "0"), ("100", "100"), ("90", "100")], "10.00", 1, 2, id="starts-empty"),
        pytest.param([], "0.00", None, None, id="no-points"),
    ],
)
def test_max_drawdown_cases(points, rate, peak, trough):
    drawdown = max_drawdown(curve(*points))
    assert drawdown.rate == D(rate)
    assert drawdown.peak_date == (DAY + timedelta(days=peak) if peak is not None else None)
    assert drawdown.trough_date == (DAY + timedelta(days=trough) if trough is not None else None)


def test_flow_adjusted_index_nets_out_deposits():
    index = flow_adjusted_index(curve(("100", "100"), ("250", "200"), ("300", "200")))
    assert index == [D(1), D("1.5"), D("1.5") * D("300") / D("250")]


@pytest.mark.parametrize(
    ("start", "end", "pnl", "base"),
    [
        (None, ("10500", "10000"), "500", "10000"),
        (("10200", "10000"), ("10500", "10300"), "0", "10500"),
        (("10200", "10000"), ("9700", "9500"), "0", "9700"),
        (("10000", "10000"), ("10800", "10000"), "800", "10000"),
    ],
)
def test_period_pnl_is_value_gained_net_of_flows(start, end, pnl, base):
    start_point = CurvePoint(DAY, D(start[0]), D(start[1])) if start else None
    assert period_pnl(start=start_point, end=CurvePoint(DAY, D(end[0]), D(end[1]))) == (D(pnl), D(base))
