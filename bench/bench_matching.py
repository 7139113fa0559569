"""Benchmark: a matching pass costs per crossing order, not per resting order.

    .venv/bin/python bench/bench_matching.py [--resting 50000] [--crossing 100]

Runs in a throw-away test database (in-memory SQLite by default; DATABASE_URL=mysql://... uses a
`test_bench_matching` database on that server). One stock at 100 won; a "whale" holds resting
GTC orders that never cross (buys at 71–90, sells at 105–129, reserved like real orders); traders
place crossing buys at 95 through order_place; the price then drops to 95 and one pass is timed.
"""

import argparse
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stocking.settings_test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import F  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from accounts.services import user_register  # noqa: E402
from portfolio.audit import run_audit  # noqa: E402
from portfolio.models import Balance, Position  # noqa: E402
from trading import krx  # noqa: E402
from trading.models import Order, OrderSide, OrderType, Stock, TimeInForce  # noqa: E402
from trading.services import order_place  # noqa: E402
from trading.services.matching import crossing_order_ids, crossing_orders, match_orders  # noqa: E402
from trading.sessions import current_trading_date  # noqa: E402

CODE = "900001"
PRICE = Decimal("100")
CROSS_AT = Decimal("95")


def set_price(price: Decimal) -> None:
    Stock.objects.filter(code=CODE).update(current_price=price)


def add_resting_orders(*, whale, stock: Stock, count: int) -> None:
    """Bulk-insert `count` never-crossing GTC orders, half buys and half sells, with their holds."""
    trading_date = current_trading_date()
    orders, held_cash, held_shares = [], Decimal("0"), 0
    for n in range(count):
        if n % 2:
            limit = Decimal(71 + n % 20)
            reserved = krx.buy_reservation(1, limit)
            held_cash += reserved
            side, extra = OrderSide.BUY, {"reserve_price": limit, "reserved_cash": reserved}
        else:
            limit = Decimal(105 + n % 25)
            held_shares += 1
            side, extra = OrderSide.SELL, {"reserved_quantity": 1}
        orders.append(
            Order(
                user=whale,
                stock=stock,
                side=side,
                order_type=OrderType.LIMIT,
                time_in_force=TimeInForce.GTC,
                quantity=1,
                limit_price=limit,
                trading_date=trading_date,
                **extra,
            )
        )
    Order.objects.bulk_create(orders, batch_size=2000)
    # The holds the services would have taken, so the books still balance (the audit checks).
    Balance.objects.filter(user=whale).update(reserved_cash=F("reserved_cash") + held_cash)
    Position.objects.filter(user=whale, stock=stock).update(reserved_quantity=F("reserved_quantity") + held_shares)


def place_crossing_orders(*, traders: list, count: int) -> None:
    set_price(PRICE)
    for n in range(count):
        order_place(
            user=traders[n % len(traders)],
            stock_code=CODE,
            side=OrderSide.BUY,
            order_type=OrderType.LIMIT,
            quantity=10,
            limit_price=CROSS_AT,
            time_in_force=TimeInForce.GTC,
        )
    set_price(CROSS_AT)


class QueryCounter:
    """Counts every query (CaptureQueriesContext keeps only the last 9,000)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def timed_pass(label: str, *, resting: int) -> dict:
    stock_id = Stock.objects.get(code=CODE).pk
    started = time.perf_counter()
    crossing = len(crossing_order_ids(stock_id=stock_id, price=CROSS_AT, trading_date=current_trading_date()))
    lookup_ms = (time.perf_counter() - started) * 1000
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        result = match_orders()
        elapsed_ms = (time.perf_counter() - started) * 1000
    row = {"label": label, "resting": resting, "crossing": crossing, "filled": result.filled}
    row.update(queries=counter.count, ms=elapsed_ms, lookup_ms=lookup_ms)
    per_fill = f"{elapsed_ms / result.filled:.2f}" if result.filled else "-"
    print(
        f"{label:<34} {resting:>8,} {crossing:>8} {result.filled:>6} {counter.count:>7}"
        f" {elapsed_ms:>9.1f} {per_fill:>8} {lookup_ms:>9.2f}"
    )
    return row


def explain_lookup(stock_id: int) -> None:
    lookup = crossing_orders(stock_id=stock_id, price=CROSS_AT, trading_date=current_trading_date())
    print("\nPlan of the crossing-order lookup:")
    for line in lookup.explain().splitlines():
        print("   ", line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resting", type=int, default=50_000)
    parser.add_argument("--crossing", type=int, default=100)
    args = parser.parse_args()

    setup_test_environment()
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = (
        None if connection.vendor == "sqlite" else "test_bench_matching"
    )
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
        stock = Stock.objects.create(
            code=CODE, name="Bench Corp", market="KOSPI", current_price=PRICE, previous_close=PRICE
        )
        whale = user_register(username="whale", email="whale@example.com", password="correct-horse-42")
        # Enough shares for the resting sells; with the default 10M won grant this allows ~120,000 resting orders.
        order_place(user=whale, stock_code=CODE, side="buy", order_type="market", quantity=args.resting // 2 + 1)
        traders = [
            user_register(username=f"trader{n}", email=f"trader{n}@example.com", password="correct-horse-42")
            for n in range(50)
        ]
        header = (
            f"{'pass':<34} {'resting':>8} {'crossing':>8} {'filled':>6} {'queries':>7} {'ms':>9}"
            f" {'ms/fill':>8} {'lookup ms':>9}"
        )
        print(header)
        print("-" * len(header))
        rows = []
        place_crossing_orders(traders=traders, count=args.crossing)
        rows.append(timed_pass("no resting orders", resting=0))
        started = time.perf_counter()
        add_resting_orders(whale=whale, stock=stock, count=args.resting)
        setup_seconds = time.perf_counter() - started
        place_crossing_orders(traders=traders, count=args.crossing)
        rows.append(timed_pass("with resting orders", resting=args.resting))
        place_crossing_orders(traders=traders, count=args.crossing * 3)
        rows.append(timed_pass("with resting orders, 3x crossing", resting=args.resting))
        rows.append(timed_pass("with resting orders, none crossing", resting=args.resting))
        explain_lookup(stock.pk)
        audit = run_audit()
        base, loaded = rows[0], rows[1]
        print(
            f"\n{args.resting:,} resting orders (bulk-inserted in {setup_seconds:.1f}s) changed the pass by "
            f"{loaded['queries'] - base['queries']:+d} queries and {loaded['ms'] - base['ms']:+.1f} ms "
            f"({loaded['ms'] / base['ms']:.2f}x); 3x the crossing orders cost {rows[2]['ms'] / loaded['ms']:.2f}x "
            f"the time. Ledger audit: {'ok' if audit.ok else audit.violations[:5]}."
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
