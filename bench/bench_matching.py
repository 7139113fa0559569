"""Benchmark: a matching pass costs per crossing order, not per resting order; fills per second.

    .venv/bin/python bench/bench_matching.py [--resting 50000] [--crossing 100] [--scale 1000:1000,1000:100000]
                                             [--repeat 3]
    DATABASE_URL=mysql://root@127.0.0.1:3306/stocking_benchm .venv/bin/python bench/bench_matching.py

Runs in a throw-away test database (in-memory SQLite by default; DATABASE_URL=mysql://.../NAME
uses a `test_NAME_matching` database on that server, created and dropped here). One stock at 100
won; a "whale" holds resting GTC orders that never cross (buys at 71–90, sells at 105–129, reserved
like real orders); traders place crossing buys at 95 through order_place; the price then drops to
95 and one pass (match_orders, as run_market calls it) is timed.

The --scale cases (CROSSING:RESTING, each on a fresh stock with its own whale) time a pass with many
fills among few and among many resting orders, --repeat times each (the median pass counts):
fills/s is the issue's throughput figure (goal: 1,000/s on MariaDB) and ms per fill should be the
same at 1,000 and at 100,000 resting orders. `cpu ms` is this process's CPU time during the pass,
which other work on the machine inflates less than the wall time.
"""

import argparse
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stocking.settings_test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import F  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from serverlib import code_version  # noqa: E402

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


def set_price(price: Decimal, code: str = CODE) -> None:
    Stock.objects.filter(code=code).update(current_price=price)


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


def place_crossing_orders(*, traders: list, count: int, code: str = CODE) -> None:
    set_price(PRICE, code)
    for n in range(count):
        order_place(
            user=traders[n % len(traders)],
            stock_code=code,
            side=OrderSide.BUY,
            order_type=OrderType.LIMIT,
            quantity=10,
            limit_price=CROSS_AT,
            time_in_force=TimeInForce.GTC,
        )
    set_price(CROSS_AT, code)


class QueryCounter:
    """Counts and times every query (CaptureQueriesContext keeps only the last 9,000)."""

    def __init__(self) -> None:
        self.count = 0
        self.timed: list[tuple[float, str]] = []

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.timed.append(((time.perf_counter() - started) * 1000, sql))

    def slowest(self, n: int) -> list[tuple[float, str]]:
        return sorted(self.timed, reverse=True)[:n]


def timed_pass(label: str, *, resting: int, code: str = CODE) -> dict:
    stock_id = Stock.objects.get(code=code).pk
    started = time.perf_counter()
    crossing = len(crossing_order_ids(stock_id=stock_id, price=CROSS_AT, trading_date=current_trading_date()))
    lookup_ms = (time.perf_counter() - started) * 1000
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        started, cpu_started = time.perf_counter(), time.process_time()
        result = match_orders()
        elapsed_ms = (time.perf_counter() - started) * 1000
        cpu_ms = (time.process_time() - cpu_started) * 1000
    row = {"label": label, "resting": resting, "crossing": crossing, "filled": result.filled, "cpu_ms": cpu_ms}
    row.update(queries=counter.count, ms=elapsed_ms, lookup_ms=lookup_ms, sql_ms=sum(ms for ms, _ in counter.timed))
    row["slowest"] = counter.slowest(3)
    per_fill = f"{elapsed_ms / result.filled:.2f}" if result.filled else "-"
    fills_per_second = f"{result.filled * 1000 / elapsed_ms:,.0f}" if result.filled else "-"
    print(
        f"{label:<34} {resting:>8,} {crossing:>8,} {result.filled:>6,} {counter.count:>7,}"
        f" {elapsed_ms:>9.1f} {cpu_ms:>8.1f} {per_fill:>8} {fills_per_second:>8} {lookup_ms:>9.2f}"
    )
    if result.filled != crossing:
        print(f"  ! {crossing - result.filled} crossing orders did not fill (failed: {result.failed_order_ids[:5]})")
    return row


def scale_case(number: int, *, crossing: int, resting: int, traders: list, repeat: int) -> dict:
    """CROSSING fills among RESTING resting orders, on a stock of their own, `repeat` passes; the
    pass with the median time per fill stands for the case (this machine is noisy)."""
    code = f"{900100 + number:06d}"
    stock = Stock.objects.create(
        code=code, name=f"Bench Scale {number}", market="KOSPI", current_price=PRICE, previous_close=PRICE
    )
    whale = user_register(username=f"whale{number}", email=f"whale{number}@example.com", password="correct-horse-42")
    order_place(user=whale, stock_code=code, side="buy", order_type="market", quantity=resting // 2 + 1)
    started = time.perf_counter()
    add_resting_orders(whale=whale, stock=stock, count=resting)
    setup_seconds = time.perf_counter() - started
    rows = []
    for _ in range(repeat):
        place_crossing_orders(traders=traders, count=crossing, code=code)
        rows.append(timed_pass(f"{crossing:,} crossing in {resting:,} resting", resting=resting, code=code))
    rows.sort(key=lambda row: row["ms"] / max(1, row["filled"]))
    row = rows[len(rows) // 2]
    row.update(setup_seconds=setup_seconds, passes=len(rows))
    return row


def parse_scale(text: str) -> list[tuple[int, int]]:
    cases = []
    for part in filter(None, text.split(",")):
        crossing, _, resting = part.partition(":")
        cases.append((int(crossing), int(resting)))
    return cases


def explain_lookup(stock_id: int) -> None:
    lookup = crossing_orders(stock_id=stock_id, price=CROSS_AT, trading_date=current_trading_date())
    print("\nPlan of the crossing-order lookup:")
    for line in lookup.explain().splitlines():
        print("   ", line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resting", type=int, default=50_000)
    parser.add_argument("--crossing", type=int, default=100)
    parser.add_argument(
        "--scale",
        type=parse_scale,
        default="1000:1000,1000:100000",
        help="CROSSING:RESTING cases for fills/s and flat per-fill cost ('' skips them)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="passes per --scale case (the median one counts)")
    args = parser.parse_args()

    setup_test_environment()
    # Never the test suite's test_NAME: someone may be running the tests on the same server.
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = (
        None if connection.vendor == "sqlite" else f"test_{connection.settings_dict['NAME']}_matching"
    )
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        print(code_version())
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
            f" {'cpu ms':>8} {'ms/fill':>8} {'fills/s':>8} {'lookup ms':>9}"
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
        scale_rows = [
            scale_case(number, crossing=crossing, resting=resting, traders=traders, repeat=args.repeat)
            for number, (crossing, resting) in enumerate(args.scale)
        ]
        explain_lookup(stock.pk)
        audit = run_audit()
        base, loaded = rows[0], rows[1]
        print(
            f"\n{args.resting:,} resting orders (bulk-inserted in {setup_seconds:.1f}s) changed the pass by "
            f"{loaded['queries'] - base['queries']:+d} queries and {loaded['ms'] - base['ms']:+.1f} ms "
            f"({loaded['ms'] / base['ms']:.2f}x); 3x the crossing orders cost {rows[2]['ms'] / loaded['ms']:.2f}x "
            f"the time. Ledger audit: {'ok' if audit.ok else audit.violations[:5]}."
        )
        for row in scale_rows:
            if row["filled"]:
                print(
                    f"{row['label']} (median of {row['passes']} passes): {row['ms'] / row['filled']:.2f} ms per fill,"
                    f" {row['filled'] * 1000 / row['ms']:,.0f} fills/s (goal 1,000); {row['queries']:,} queries "
                    f"({row['queries'] / row['filled']:.2f} per fill), {row['sql_ms']:.0f} ms waiting on SQL, "
                    f"{row['cpu_ms']:.0f} ms CPU in this process ({row['cpu_ms'] / row['filled']:.2f} ms per fill);"
                    f" resting orders inserted in {row['setup_seconds']:.0f} s"
                )
                for ms, sql in row["slowest"]:
                    print(f"    {ms:8.1f} ms  {sql[:150]}")
        filled = [row for row in scale_rows if row["filled"]]
        if len(filled) >= 2:
            first, last = filled[0], filled[-1]
            ratio = (last["ms"] / last["filled"]) / (first["ms"] / first["filled"])
            cpu_ratio = (last["cpu_ms"] / last["filled"]) / (first["cpu_ms"] / first["filled"])
            sql_ratio = (last["sql_ms"] / last["filled"]) / (first["sql_ms"] / first["filled"])
            print(
                f"per-fill cost at {last['resting']:,} resting / at {first['resting']:,} resting: {ratio:.2f} wall,"
                f" {cpu_ratio:.2f} CPU, {sql_ratio:.2f} SQL wait (flat = 1.00)"
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
