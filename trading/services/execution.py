"""The one execution path: market orders, marketable limits and the matching engine all fill here."""

from decimal import Decimal

from django.utils import timezone

from portfolio.models import LedgerKind
from portfolio.services import (
    balance_lock,
    cash_release,
    ledger_post,
    position_apply_buy,
    position_apply_sell,
)
from stocking.core.db import require_transaction
from trading import krx
from trading.models import Execution, Order, OrderSide, OrderStatus


def order_execute(*, order: Order, quantity: int, price: Decimal) -> Execution:
    """Fill `quantity` of a locked open order at `price`, settling cash, fees, tax and the position.

    The caller holds the order row lock inside a transaction; this takes the balance lock and then
    the position lock, the fixed order every money path uses.
    """
    require_transaction("order_execute")
    if not order.is_open or not 1 <= quantity <= order.remaining_quantity:
        raise AssertionError(f"cannot fill {quantity} of {order}")

    balance = balance_lock(user=order.user)
    stock = order.stock
    gross = price * quantity
    fee = krx.commission(gross)
    tax = krx.sell_tax(gross, stock.market) if order.side == OrderSide.SELL else Decimal("0")
    remaining_after = order.remaining_quantity - quantity
    now = timezone.now()

    execution = Execution(
        order=order,
        user_id=order.user_id,
        stock=stock,
        side=order.side,
        quantity=quantity,
        price=price,
        gross_amount=gross,
        fee=fee,
        tax=tax,
        executed_at=now,
    )
    if order.side == OrderSide.BUY:
        still_reserved = krx.buy_reservation(remaining_after, order.reserve_price) if remaining_after else Decimal("0")
        # Release this fill's share of the hold first, then debit: the hold covers cost + fee.
        cash_release(balance=balance, amount=order.reserved_cash - still_reserved)
        order.reserved_cash = still_reserved
        position_apply_buy(user=order.user, stock=stock, quantity=quantity, price=price, cost=gross + fee)
        execution.save()
        ledger_post(balance=balance, kind=LedgerKind.BUY, amount=-gross, order=order, execution=execution)
    else:
        execution.realized_pnl = position_apply_sell(
            user=order.user, stock=stock, quantity=quantity, proceeds=gross - fee - tax
        )
        order.reserved_quantity -= quantity
        execution.save()
        ledger_post(balance=balance, kind=LedgerKind.SELL, amount=gross, order=order, execution=execution)
        if tax:
            ledger_post(balance=balance, kind=LedgerKind.TAX, amount=-tax, order=order, execution=execution)
    if fee:
        ledger_post(balance=balance, kind=LedgerKind.FEE, amount=-fee, order=order, execution=execution)

    previous_filled = order.filled_quantity
    order.filled_quantity += quantity
    order.average_fill_price = (
        (order.average_fill_price or Decimal("0")) * previous_filled + gross
    ) / order.filled_quantity
    order.average_fill_price = order.average_fill_price.quantize(Decimal("0.01"))
    order.fee += fee
    order.tax += tax
    if remaining_after == 0:
        order.status = OrderStatus.FILLED
        order.closed_at = now
    else:
        order.status = OrderStatus.PARTIALLY_FILLED
    order.save(
        update_fields=[
            "filled_quantity",
            "average_fill_price",
            "fee",
            "tax",
            "status",
            "closed_at",
            "reserved_cash",
            "reserved_quantity",
            "updated_at",
        ]
    )
    return execution
