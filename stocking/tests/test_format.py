from decimal import Decimal as D
from types import SimpleNamespace

import pytest
from django.template import Context, Template

from stocking.core.templatetags.stocking_format import (
    change,
    number,
    percent,
    price_change,
    rate,
    signed_won,
    trend,
    won,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("10000000.00"), "₩10,000,000"),
        ("70000", "₩70,000"),
        (D("-1500"), "-₩1,500"),
        (D("70050.5"), "₩70,050.50"),
        (0, "₩0"),
        (None, "–"),
        ("junk", "–"),
        (1.5, "–"),  # floats are refused, never formatted as money
    ],
)
def test_won_uses_the_sign_and_thousands_separators(value, expected):
    assert won(value) == expected


def test_number_groups_thousands_and_keeps_fractions_only_when_there_are_some():
    assert number(1234567) == "1,234,567"
    assert number(D("98500.00")) == "98,500"
    assert number(D("98500.25")) == "98,500.25"
    assert number(D("-3")) == "-3"
    assert number(None) == "–"


def test_signed_won_shows_plus_for_gains_and_minus_for_losses():
    assert signed_won(D("1500")) == "+₩1,500"
    assert signed_won(D("-1500.00")) == "-₩1,500"
    assert signed_won(0) == "₩0"


def test_rates_always_carry_a_sign_and_two_decimals():
    assert rate("1.25") == "+1.25%"
    assert rate(D("-0.5")) == "-0.50%"
    assert rate(0) == "0.00%"
    assert rate("12.345") == "+12.35%"  # half up, as the API's change_rate rounds


def test_shares_of_a_whole_are_unsigned_percentages():
    assert percent("12.5") == "12.50%"
    assert percent(D("100")) == "100.00%"
    assert percent("0.004") == "0.00%"
    assert percent(None) == "–"


def test_changes_carry_an_arrow_so_colour_is_not_the_only_cue():
    assert change(D("1200")) == "▲1,200"
    assert change(D("-500")) == "▼500"
    assert change(0) == "0"
    assert (trend(D("1")), trend(D("-1")), trend(0), trend(None)) == ("up", "down", "flat", "flat")


def test_price_change_is_the_difference_and_rate_from_the_previous_close():
    assert price_change(D("71400"), D("70000")) == (D("1400"), D("2.00"))
    assert price_change(D("70000"), None) is None
    assert price_change(None, D("70000")) is None


def test_quote_change_tag_renders_colour_arrow_and_live_hooks():
    stock = SimpleNamespace(current_price=D("69300"), previous_close=D("70000"))
    html = Template("{% load stocking_format %}{% quote_change stock %}").render(Context({"stock": stock}))
    assert 'class="chg trend-down" data-trend="change"' in html
    assert '<span data-bind="change" data-format="change">▼700</span>' in html
    assert '<span data-bind="change_rate" data-format="rate">-1.00%</span>' in html
