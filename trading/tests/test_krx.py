from decimal import Decimal as D

import pytest

from trading import krx


@pytest.mark.parametrize(
    ("price", "tick"),
    [
        ("1", "1"),
        ("1999", "1"),
        ("2000", "5"),
        ("4995", "5"),
        ("5000", "10"),
        ("19990", "10"),
        ("20000", "50"),
        ("49950", "50"),
        ("50000", "100"),
        ("199900", "100"),
        ("200000", "500"),
        ("499500", "500"),
        ("500000", "1000"),
        ("1500000", "1000"),
    ],
)
def test_tick_size_bands_switch_exactly_at_their_bounds(price, tick):
    assert krx.tick_size(D(price)) == D(tick)


@pytest.mark.parametrize(
    ("price", "on_tick"),
    [
        ("1999", True),
        ("2001", False),
        ("2005", True),
        ("19995", False),
        ("20050", True),
        ("20010", False),
        ("70000", True),
        ("70050", False),
        ("499500", True),
        ("500500", False),
        ("501000", True),
        ("0", False),
    ],
)
def test_is_on_tick(price, on_tick):
    assert krx.is_on_tick(D(price)) is on_tick


@pytest.mark.parametrize(
    ("previous_close", "lower", "upper"),
    [
        # 70,000 × 1.3 = 91,000 exactly (on the 100 grid); × 0.7 = 49,000 (50 grid).
        ("70000", "49000", "91000"),
        # 10,000 × 1.3 = 13,000; × 0.7 = 7,000.
        ("10000", "7000", "13000"),
        # 1,555 × 1.3 = 2,021.5 → floor on the 5 grid = 2,020; × 0.7 = 1,088.5 → ceil on the 1 grid = 1,089.
        ("1555", "1089", "2020"),
        # 16,600 × 1.3 = 21,580 → 21,550 (50 grid); × 0.7 = 11,620 (10 grid, exact).
        ("16600", "11620", "21550"),
        # 385,000 × 1.3 = 500,500 → 500,000 (1,000 grid); × 0.7 = 269,500 (500 grid).
        ("385000", "269500", "500000"),
    ],
)
def test_price_limits_are_thirty_percent_rounded_inward_onto_the_grid(previous_close, lower, upper):
    limits = krx.price_limits(D(previous_close))
    assert (limits.lower, limits.upper) == (D(lower), D(upper))
    assert krx.is_on_tick(limits.lower) and krx.is_on_tick(limits.upper)


def test_round_to_tick_snaps_to_the_nearest_grid_price():
    assert krx.round_to_tick(D("70049")) == D("70000")
    assert krx.round_to_tick(D("70050")) == D("70100")
    assert krx.round_to_tick(D("1999.6")) == D("2000")
    assert krx.round_to_tick(D("0.2")) == D("1")


def test_commission_and_tax_are_truncated_to_whole_won():
    # 0.015% of 1,234,567 = 185.185 → 185; tax 0.20% = 2,469.134 → 2,469
    assert krx.commission(D("1234567")) == D("185")
    assert krx.sell_tax(D("1234567"), "KOSPI") == D("2469")
    assert krx.sell_tax(D("1234567"), "KOSDAQ") == D("2469")
    assert krx.commission(D("6666")) == D("0")  # 0.9999 won → nothing


def test_buy_reservation_is_amount_plus_its_commission():
    assert krx.buy_reservation(10, D("70000")) == D("700105")


@pytest.mark.parametrize(
    ("available", "price"),
    [
        ("1000000", "70000"),
        ("700105", "70000"),
        ("700104", "70000"),
        ("10000000", "1999"),
        ("0", "5000"),
        ("4999", "5000"),
    ],
)
def test_max_buy_quantity_is_the_largest_affordable(available, price):
    available, price = D(available), D(price)
    quantity = krx.max_buy_quantity(available, price)
    assert quantity == 0 or krx.buy_reservation(quantity, price) <= available
    assert krx.buy_reservation(quantity + 1, price) > available
