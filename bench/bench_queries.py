"""Benchmark: SQL statements (and transactions, and in-process time) per request, with 1 and 200 rows.

    .venv/bin/python bench/bench_queries.py [--repeat 10] [--show "market buy"]
    DATABASE_URL=mysql://root@127.0.0.1:3306/stocking_benchq .venv/bin/python bench/bench_queries.py

Runs the real settings (PYTHON_ENV=development, DEBUG off, the real authentication and throttle
classes with THROTTLE_ALL=100000000/min) through Django's test client in this process, on a
throw-away test database: in-memory SQLite by default, `test_NAME_queries` on the server
DATABASE_URL names (created and dropped here). Throttle counters use the settings' default
backend, a file cache (no SQL), in a private directory (on tmpfs, /dev/shm, where the settings'
default is) so no other process shares it; CACHE_URL=redis://... is honoured if set. Templates
render as a server renders them: without the test runner's instrumentation (a signal and a copy
of the context for every template and include, ~15% of a page), which setup_test_environment()
installs and this script takes out again.

Two users: "1" holds 1 position, 1 resting order and 1 watchlist item; "200" holds 200 positions,
200 resting orders (plus the 200 filled buys that opened the positions) and a 200-item watchlist.
Each request runs once to warm up, then `--repeat` times counted and `--repeat` times timed; the
statement count is the same on every repeat or the row says so. Statements exclude transaction
control (BEGIN, SAVEPOINT, RELEASE, COMMIT); `tx` counts the transactions committed. A count that
differs between 1 and 200 is flagged: the issue wants portfolio, orders, watchlist and the pages
flat in N. Time is this process's CPU time per request (the best run) and the wall time (median);
the pages' CPU time is compared with /auth/me's (the issue: at most 3x with 200 positions).
"""

import argparse
import atexit
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from serverlib import code_version, default_cache_parent  # noqa: E402

# On tmpfs where the settings' default cache is (a file rewrite there ~0.02 ms, on disk ~0.6 ms).
CACHE_DIR = Path(tempfile.mkdtemp(prefix="stocking-bench-queries-cache-", dir=default_cache_parent()))
atexit.register(shutil.rmtree, CACHE_DIR, ignore_errors=True)  # also when an importer fails early
os.environ["DJANGO_SETTINGS_MODULE"] = "stocking.settings"
os.environ["PYTHON_ENV"] = "development"
os.environ["DEBUG"] = "false"  # DEBUG records every query and changes error handling: time it as deployed
os.environ["THROTTLE_ALL"] = "100000000/min"
os.environ.setdefault("CACHE_URL", f"filecache://{CACHE_DIR}")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.template import Template  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import Resolver404, resolve  # noqa: E402
from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402

from accounts.services import user_register  # noqa: E402
from portfolio.models import Position  # noqa: E402
from trading.models import Order, Stock  # noqa: E402
from trading.services import order_place  # noqa: E402
from watchlist.models import Watchlist  # noqa: E402
from watchlist.services import watchlist_add_stock  # noqa: E402

PRICE = Decimal("10000")
REST_AT = Decimal("9000")  # a limit buy below the price rests
SIZES = (1, 200)
TX_CONTROL = re.compile(r"^\s*(BEGIN|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK|COMMIT)\b", re.IGNORECASE)


@dataclass
class Account:
    size: int
    user: object
    api: Client
    page: Client
    held_code: str
    watchlist_id: int


@dataclass
class Probe:
    name: str
    method: str
    path: Callable[[Account], str]
    body: Callable[[Account], dict] | None = None
    prepare: Callable[[Account], dict] | None = None  # per-run state (e.g. a fresh order to cancel)
    page: bool = False
    expect: int = 200


def resting_order(account: Account) -> dict:
    order = order_place(
        user=account.user,
        stock_code=account.held_code,
        side="buy",
        order_type="limit",
        quantity=1,
        limit_price=REST_AT,
        time_in_force="gtc",
    ).order
    return {"order_id": order.pk}


# Reads first: the write probes add orders (and the cancel and modify ones resting orders) to the
# accounts, and the reads should see the accounts as seeded (user '1': one open order, not a dozen).
PROBES = [
    Probe("GET /api/v1/portfolio", "get", lambda a: "/api/v1/portfolio"),
    Probe("GET /api/v1/orders", "get", lambda a: "/api/v1/orders"),
    Probe("GET /api/v1/watchlists/{id}", "get", lambda a: f"/api/v1/watchlists/{a.watchlist_id}"),
    Probe("GET /api/v1/auth/me", "get", lambda a: "/api/v1/auth/me"),
    Probe("GET / (dashboard page)", "get", lambda a: "/", page=True),
    Probe("GET /portfolio/ (page)", "get", lambda a: "/portfolio/", page=True),
    Probe("GET /orders/ (page)", "get", lambda a: "/orders/", page=True),
    Probe("GET /watchlists/ (page)", "get", lambda a: "/watchlists/", page=True),
    Probe(
        "POST order, market buy",
        "post",
        lambda a: "/api/v1/orders",
        lambda a: {"stock": a.held_code, "side": "buy", "order_type": "market", "quantity": 1},
        expect=201,
    ),
    Probe(
        "POST order, market sell",
        "post",
        lambda a: "/api/v1/orders",
        lambda a: {"stock": a.held_code, "side": "sell", "order_type": "market", "quantity": 1},
        expect=201,
    ),
    Probe(
        "POST order, limit that rests",
        "post",
        lambda a: "/api/v1/orders",
        lambda a: {
            "stock": a.held_code,
            "side": "buy",
            "order_type": "limit",
            "quantity": 1,
            "limit_price": str(REST_AT),
        },
        expect=201,
    ),
    Probe("POST cancel", "post", lambda a: "/api/v1/orders/{order_id}/cancel", prepare=resting_order),
    Probe(
        "PATCH modify (price)",
        "patch",
        lambda a: "/api/v1/orders/{order_id}",
        lambda a: {"limit_price": "9100"},
        prepare=resting_order,
    ),
]


@dataclass
class Measured:
    statements: list[int]
    transactions: list[int]
    ms: list[float]
    cpu_ms: list[float]
    sql: list[str]


class CommitCounter:
    """Counts transactions committed: Atomic's outermost exit calls connection.commit()."""

    def __init__(self) -> None:
        self.count = 0

    def __enter__(self) -> "CommitCounter":
        from django.db import connections

        self.db = connections["default"]
        self.original = self.db.commit

        def counting_commit():
            self.count += 1
            return self.original()

        self.db.commit = counting_commit
        return self

    def __exit__(self, *exc) -> None:
        del self.db.commit  # back to the class's method


def seed_stocks() -> list[Stock]:
    sectors = ["Semiconductors", "Banks", "Autos", "Chemicals", "Retail"]
    Stock.objects.bulk_create(
        Stock(
            code=f"{920000 + n:06d}",
            name=f"Bench {n}",
            market="KOSPI" if n % 2 else "KOSDAQ",
            sector=sectors[n % len(sectors)],
            current_price=PRICE,
            previous_close=PRICE,
        )
        for n in range(max(SIZES) + 1)
    )
    return list(Stock.objects.order_by("code"))


def seed_account(size: int, stocks: list[Stock]) -> Account:
    user = user_register(username=f"holder{size}", email=f"holder{size}@example.com", password="correct-horse-42")
    watchlist = Watchlist.objects.filter(user=user).first()
    for stock in stocks[:size]:
        order_place(user=user, stock_code=stock.code, side="buy", order_type="market", quantity=2)
        order_place(
            user=user,
            stock_code=stock.code,
            side="buy",
            order_type="limit",
            quantity=1,
            limit_price=REST_AT,
            time_in_force="gtc",
        )
        watchlist_add_stock(user=user, watchlist_id=watchlist.pk, stock_code=stock.code)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    page = Client()
    page.force_login(user)
    return Account(size, user, api, page, stocks[0].code, watchlist.pk)


def setup_test_environment_as_served() -> None:
    """The test client's environment (its host allowed, mail kept in memory) with templates
    rendered as gunicorn renders them, not through the test runner's instrumented renderer."""
    served = Template._render
    setup_test_environment()
    Template._render = served


def use_test_database(suffix: str) -> None:
    """In-memory SQLite, or test_NAME_<suffix> on a server: never the suite's test_NAME, which
    someone may be using on the same server right now."""
    name = None if connection.vendor == "sqlite" else f"test_{connection.settings_dict['NAME']}_{suffix}"
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = name
    connection.settings_dict.setdefault("TEST", {})["NAME"] = name


def page_exists(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def call(probe: Probe, account: Account):
    state = probe.prepare(account) if probe.prepare else {}
    client = account.page if probe.page else account.api
    path = probe.path(account).format(**state)
    kwargs = {}
    if probe.body:
        kwargs = {"data": probe.body(account), "content_type": "application/json"}
    return getattr(client, probe.method)(path, **kwargs), state


def measure(probe: Probe, account: Account, repeat: int) -> Measured:
    result = Measured([], [], [], [], [])
    response, _ = call(probe, account)  # warm-up: imports, template loading, first cache write
    if response.status_code != probe.expect:
        raise SystemExit(f"{probe.name} for {account.size}: {response.status_code} {response.content[:300]!r}")
    for _ in range(repeat):
        state = probe.prepare(account) if probe.prepare else {}
        client = account.page if probe.page else account.api
        path = probe.path(account).format(**state)
        kwargs = {"data": probe.body(account), "content_type": "application/json"} if probe.body else {}
        with CaptureQueriesContext(connection) as captured, CommitCounter() as commits:
            response = getattr(client, probe.method)(path, **kwargs)
        assert response.status_code == probe.expect, (probe.name, response.status_code, response.content[:300])
        sql = [query["sql"] for query in captured.captured_queries]
        result.sql = sql
        result.statements.append(sum(1 for statement in sql if not TX_CONTROL.match(statement)))
        result.transactions.append(commits.count)
    for _ in range(repeat):  # timed apart from the capture, which forces a debug cursor
        state = probe.prepare(account) if probe.prepare else {}
        client = account.page if probe.page else account.api
        path = probe.path(account).format(**state)
        kwargs = {"data": probe.body(account), "content_type": "application/json"} if probe.body else {}
        started, cpu_started = time.perf_counter(), time.process_time()
        response = getattr(client, probe.method)(path, **kwargs)
        result.cpu_ms.append((time.process_time() - cpu_started) * 1000)
        result.ms.append((time.perf_counter() - started) * 1000)
    return result


def spread(values: list[int]) -> str:
    low, high = min(values), max(values)
    return f"{low}" if low == high else f"{low}-{high}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="counted runs and timed runs per request")
    parser.add_argument("--show", action="append", default=[], help="print the SQL of requests whose name has this")
    args = parser.parse_args()

    setup_test_environment_as_served()
    use_test_database("queries")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        cache = settings.CACHES["default"]
        print(code_version())
        print(
            f"database: {connection.vendor} ({connection.settings_dict['NAME']}); throttle cache:"
            f" {cache['BACKEND'].rsplit('.', 1)[1]} ({cache.get('LOCATION')}); throttle classes:"
            f" {', '.join(c.rsplit('.', 1)[1] for c in settings.REST_FRAMEWORK['DEFAULT_THROTTLE_CLASSES'])}"
        )
        started = time.perf_counter()
        # Seeding only: production's password hasher would spend seconds on passwords nobody types.
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            stocks = seed_stocks()
            accounts = {size: seed_account(size, stocks) for size in SIZES}
        print(
            f"seeded in {time.perf_counter() - started:.1f} s: "
            + "; ".join(
                f"user '{size}': {Order.objects.filter(user=a.user).count()} orders,"
                f" {Position.objects.filter(user=a.user).count()} positions"
                for size, a in accounts.items()
            )
        )
        header = (
            f"{'request':<30} {'stmts@1':>7} {'stmts@200':>9} {'tx@1':>5} {'tx@200':>6}"
            f" {'cpu@1':>7} {'cpu@200':>7} {'wall@200':>8}  flag"
        )
        print("\n" + header)
        print("-" * len(header))
        rows = {}
        for probe in PROBES:
            path = probe.path(accounts[1]).format(order_id=1)
            if not page_exists(path):
                print(f"{probe.name:<30} skipped: no such page yet")
                continue
            measured = {size: measure(probe, accounts[size], args.repeat) for size in SIZES}
            rows[probe.name] = measured
            small, large = measured[1], measured[200]
            flags = []
            if max(small.statements) != max(large.statements):
                flags.append(f"GROWS WITH N ({spread(small.statements)} -> {spread(large.statements)})")
            if len(set(small.statements + large.statements)) > 2:
                flags.append("varies between runs")
            print(
                f"{probe.name:<30} {spread(small.statements):>7} {spread(large.statements):>9}"
                f" {spread(small.transactions):>5} {spread(large.transactions):>6}"
                f" {min(small.cpu_ms):>7.1f} {min(large.cpu_ms):>7.1f} {statistics.median(large.ms):>8.1f}"
                f"  {' '.join(flags)}"
            )
        print(
            "(cpu: this process's CPU ms per request, the best of the timed runs: other work on this machine"
            " inflates it least; wall: median ms. In-process through the test client, no network; on a"
            " server database the server's own time is in wall only)"
        )

        me = min(rows["GET /api/v1/auth/me"][200].cpu_ms)
        print(
            f"\nPages with 200 positions / orders / items against /auth/me ({me:.1f} ms CPU; the goal, for the"
            " dashboard and the portfolio page: at most 3x):"
        )
        for name, measured in rows.items():
            if "page" in name:
                ms = min(measured[200].cpu_ms)
                goal = name.startswith(("GET / ", "GET /portfolio/"))
                verdict = (
                    ("met" if ms <= 3 * me else f"not met: {ms / (3 * me):.1f}x the goal") if goal else "(no goal)"
                )
                print(f"  {name:<28} {ms:>7.1f} ms = {ms / me:.1f}x  {verdict}")
        market = rows["POST order, market buy"][200]
        resting = rows["POST order, limit that rests"][200]
        print(
            f"Goals: market order <= 14 statements (12 + the order-event outbox's 2, issue 15) in 1"
            f" transaction: {max(market.statements)} in {max(market.transactions)}; resting limit <= 10:"
            f" {max(resting.statements)}"
        )
        for wanted in args.show:
            for name, measured in rows.items():
                if wanted.lower() in name.lower():
                    print(f"\nSQL of {name!r} with 200 rows:")
                    for n, sql in enumerate(measured[200].sql, 1):
                        print(f"  {n:>2}. {sql[:220]}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        shutil.rmtree(CACHE_DIR, ignore_errors=True)


if __name__ == "__main__":
    main()
