import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D
from types import SimpleNamespace

from django.utils import translation

from stocking.core.charts import (
    Frame,
    Wedge,
    bar_svg,
    candlestick_svg,
    donut_svg,
    line_svg,
    nice_step,
    wedges,
    won_axis_label,
)

START = datetime(2026, 11, 2, tzinfo=UTC)


def bar(day: int, o: str, h: str, low: str, c: str, volume: int = 100) -> SimpleNamespace:
    return SimpleNamespace(
        start=START + timedelta(days=day), open=D(o), high=D(h), low=D(low), close=D(c), volume=volume
    )


BARS = [bar(0, "100", "110", "95", "105"), bar(1, "105", "106", "90", "92", 300), bar(2, "92", "99", "92", "99")]


def candles(svg: str) -> list[str]:
    return re.findall(r'<g class="candle (up|down)">', svg)


def test_nice_steps_are_round_numbers():
    assert nice_step(1000) == 250
    assert nice_step(37) == 10
    assert nice_step(0) == 1
    assert nice_step(3) == 1  # whole won at least


def test_candles_draw_one_group_per_bar_coloured_by_direction():
    svg = str(candlestick_svg(BARS, title="Test", intraday=False))
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 320"')
    assert candles(svg) == ["up", "down", "up"]
    assert 'role="img"' in svg and "<title>Test</title>" in svg
    assert "style=" not in svg and "<script" not in svg  # nothing a strict CSP would block


def test_higher_prices_are_drawn_higher_and_the_last_close_is_labelled():
    frame = Frame()
    svg = str(candlestick_svg(BARS, title="t", intraday=False, frame=frame))
    wicks = re.findall(r'<line x1="[\d.]+" x2="[\d.]+" y1="([\d.]+)" y2="([\d.]+)"/>', svg)
    (high0, low0), (high1, low1), _ = [(float(a), float(b)) for a, b in wicks]
    assert high0 < low0  # SVG y grows downward
    assert high0 < high1 and low1 > low0  # bar 0 reaches 110, bar 1 falls to 90
    assert all(frame.top <= y <= frame.height - frame.bottom for pair in wicks for y in map(float, pair))
    assert 'last-price-label" x="568" y="' in svg and ">99</text>" in svg


def test_time_labels_are_seoul_dates_for_daily_and_times_for_intraday():
    daily = str(candlestick_svg(BARS, title="t", intraday=False))
    assert ">11/02</text>" in daily and ">11/04</text>" in daily
    intraday = str(candlestick_svg(BARS, title="t", intraday=True))
    assert ">09:00</text>" in intraday  # midnight UTC is 09:00 in Seoul


def test_a_flat_series_and_a_single_bar_still_draw():
    svg = str(candlestick_svg([bar(0, "100", "100", "100", "100")], title="flat", intraday=False))
    assert candles(svg) == ["up"]
    assert "nan" not in svg.lower() and "inf" not in svg.lower()


def test_titles_are_escaped_and_no_bars_give_an_empty_string():
    svg = str(candlestick_svg(BARS, title='<b>"x"</b>', intraday=False))
    assert "<b>" not in svg and "&lt;b&gt;" in svg
    assert str(candlestick_svg([], title="t", intraday=False)) == ""


def test_line_chart_for_equity_curves():
    points = [(START + timedelta(days=i), D(v)) for i, v in enumerate(["100", "120", "90"])]
    svg = str(line_svg(points, title="Equity"))
    assert '<polyline class="line" points="' in svg and '<polygon class="area"' in svg
    assert len(re.search(r'<polyline class="line" points="([^"]+)"', svg).group(1).split()) == 3
    assert str(line_svg([], title="t")) == ""


def test_line_chart_takes_plain_dates_and_its_own_axis_labels():
    points = [(date(2026, 11, 2) + timedelta(days=i), D(v)) for i, v in enumerate(["0", "-2.5", "-10"])]
    svg = str(line_svg(points, title="Drawdown", axis_label=lambda v: f"{v:.0f}%"))
    assert ">11/02</text>" in svg and ">11/04</text>" in svg
    assert "%</text>" in svg


def test_bars_rise_for_gains_and_hang_for_losses_from_one_zero_line():
    days = [date(2026, 11, 2) + timedelta(days=i) for i in range(3)]
    svg = str(bar_svg(list(zip(days, [D("5000"), D("-2000"), D("0")], strict=True)), title="P/L"))
    bars = re.findall(
        r'<rect class="bar (up|down|flat)" x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"/>', svg
    )
    assert [b[0] for b in bars] == ["up", "down", "flat"]
    zero = float(re.search(r'<line class="zero" x1="\d+" x2="\d+" y1="([\d.]+)"', svg).group(1))
    (_, up_y, up_h), (_, down_y, _), _ = [(k, float(y), float(h)) for k, y, h in bars]
    assert abs(up_y + up_h - zero) < 0.2  # the gain stands on the zero line
    assert abs(down_y - zero) < 0.2  # the loss hangs from it
    assert "style=" not in svg
    assert str(bar_svg([], title="t")) == ""


def test_wedges_keep_order_and_fold_the_tail_into_one_slice():
    items = [(f"s{i}", D(10 - i)) for i in range(10)] + [("empty", D(0))]
    result = wedges(items, limit=3, rest_label="Others")
    assert [(w.label, w.css) for w in result] == [
        ("s0", "slice-0"),
        ("s1", "slice-1"),
        ("s2", "slice-2"),
        ("Others", "slice-rest"),
    ]
    assert result[-1].value == sum(D(10 - i) for i in range(3, 10))
    assert [w.label for w in wedges(items[:2])] == ["s0", "s1"]


def test_donut_draws_one_path_per_slice_with_its_share():
    svg = str(donut_svg([Wedge("Cash", D("750"), "slice-cash"), Wedge("삼성전자", D("250"), "slice-0")], title="Mix"))
    assert svg.count('<path class="slice ') == 2
    assert "<title>Cash 75.0%</title>" in svg and "<title>삼성전자 25.0%</title>" in svg
    assert 'viewBox="0 0 200 200"' in svg and "style=" not in svg and "nan" not in svg.lower()


def test_a_lone_slice_still_closes_the_ring_and_nothing_gives_nothing():
    svg = str(donut_svg([Wedge("Cash", D("1"), "slice-cash")], title="All cash"))
    assert svg.count(" Z") == 2  # two halves: one arc cannot draw a whole circle
    assert str(donut_svg([Wedge("x", D("0"), "slice-0")], title="t")) == ""
    assert str(donut_svg([], title="t")) == ""


def test_a_lone_point_is_marked():
    svg = str(line_svg([(date(2026, 11, 2), D("10000000"))], title="Today"))
    assert '<circle class="dot"' in svg


def test_account_sized_axis_labels_are_short_in_either_language():
    with translation.override("ko"):
        assert [won_axis_label(v) for v in (9_925_000, 10_000_000, 250_000_000, 5_000, -20_000)] == [
            "992.5만",
            "1,000만",
            "2.5억",
            "5,000",
            "-2만",
        ]
    with translation.override("en"):
        assert [won_axis_label(v) for v in (9_925_000, 10_000_000, 25_000, 5_000)] == ["9.925M", "10M", "25K", "5,000"]
