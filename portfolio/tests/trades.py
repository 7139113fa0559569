"""Small, hand-checkable trading histories for the analytics tests (fees 0.015%, sell tax 0.20%)."""

from decimal import Decimal as D

from trading.models import Stock
from trading.services import order_place


def set_price(stock: Stock, price: str, previous_close: str | None = None) -> None:
    fields = {"current_price": D(price)}
    if previous_close is not None:
        fields["previous_close"] = D(previous_close)
    Stock.objects.filter(pk=stock.pk).update(**fields)
    stock.refresh_from_db()


def market(user, stock: Stock, side: str, quantity: int):
    return order_place(user=user, stock_code=stock.code, side=side, order_type="market", quantity=quantity).order


def winning_round_trip(user, stock: Stock) -> None:
    """Buy 100 @ 10,000 (fee 150); sell 40 @ 11,000 (fee 66, tax 880): realized +38,994, 60 left
    with a cost basis of 600,090. Cash 8,999,850 → 9,438,904."""
    set_price(stock, "10000", previous_close="10000")
    market(user, stock, "buy", 100)
    set_price(stock, "11000")
    market(user, stock, "sell", 40)


def losing_round_trip(user, stock: Stock) -> None:
    """Buy 200 @ 5,000 (fee 150); sell 200 @ 4,500 (fee 135, tax 1,800): realized −102,085, closed."""
    set_price(stock, "5000", previous_close="5000")
    market(user, stock, "buy", 200)
    set_price(stock, "4500")
    market(user, stock, "sell", 200)
