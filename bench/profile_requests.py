"""Profile: where an order, an /auth/me request and a matching pass spend their time (pyinstrument).

    .venv/bin/python bench/profile_requests.py [--orders 400] [--me 1500] [--fills 1000] [--page /portfolio/] [--tree]
    DATABASE_URL=mysql://root@127.0.0.1:3306/stocking_benchq .venv/bin/python bench/profile_requests.py

The same settings, seed data and throw-away test database as bench/bench_queries.py (real JWT
authentication and throttle classes, THROTTLE_ALL=100000000/min, DEBUG off). Profiles many
market orders (POST /api/v1/orders, alternating buy and sell) and many GET /api/v1/auth/me through
the test client, and one matching pass (match_orders, as run_market calls it) filling `--fills`
crossing orders of 50 traders (and, with --page, GET of pages as a user with 200 positions, orders
and watchlist items), then prints three views of each profile:

- inclusive: the share of the time spent under the steps of a request (authentication, throttling,
  input validation, the order service, building and rendering the response, middleware);
- by layer: every sample's own time charged to the layer of the code running it (the standard
  library is charged to its caller), so the layers add up to 100%;
- the functions with the most own time.

The test client's own work (building the request, reading the response) is shown too: it is not
part of what a server does, so the shares that matter are the ones inside the handler.
Needs pyinstrument (requirements-dev.txt).
"""

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_queries as bq  # noqa: E402  (sets up Django with the benchmark's settings)

try:
    from pyinstrument import Profiler
except ImportError:
    raise SystemExit("bench/profile_requests.py needs pyinstrument: pip install -r requirements-dev.txt")

from decimal import Decimal  # noqa: E402

from django.db import connection  # noqa: E402
from django.test import override_settings  # noqa: E402

from accounts.services import user_register  # noqa: E402
from trading.models import Stock  # noqa: E402
from trading.services import order_place  # noqa: E402
from trading.services.matching import match_orders  # noqa: E402

ROOT = str(Path(__file__).resolve().parent.parent)


@dataclass(frozen=True)
class Step:
    """Inclusive time under the outermost frame of `functions` (None: any) in a file matching
    `fragment`, optionally only where the caller is `parent` (a function name)."""

    label: str
    fragment: str
    functions: frozenset | None = None
    parent: str | None = None

    def matches(self, frame, caller) -> bool:
        if self.fragment not in (frame.file_path or ""):
            return False
        if self.functions is not None and frame.function not in self.functions:
            return False
        return self.parent is None or (caller is not None and caller.function == self.parent)


def step(label: str, fragment: str, *functions: str, parent: str | None = None) -> Step:
    return Step(label, fragment, frozenset(functions) if functions else None, parent)


REQUEST_STEPS = [
    step("WSGI/test handler, whole request", "django/core/handlers/base.py", "get_response"),
    step("  middleware (all, excl. the view)", "django/core/handlers/base.py", "_get_response"),
    step("  DRF dispatch (the view)", "rest_framework/views.py", "dispatch"),
    step("    authentication (JWT)", "rest_framework/views.py", "perform_authentication"),
    step("      token decode and verify", "rest_framework_simplejwt/authentication.py", "get_validated_token"),
    step("      user lookup (SQL)", "rest_framework_simplejwt/authentication.py", "get_user"),
    step("    permissions", "rest_framework/views.py", "check_permissions"),
    step("    throttling", "rest_framework/views.py", "check_throttles"),
    step("      cache get", "django/core/cache/backends/", "get"),
    step("      cache set", "django/core/cache/backends/", "set"),
    step("        file cache: replace the file", "django/core/files/move.py", "file_move_safe"),
    step("        file cache: cull (lists the dir)", "django/core/cache/backends/filebased.py", "_cull"),
    step("    request body parsing", "rest_framework/request.py", "_load_data_and_files"),
    step("    input validation", "rest_framework/serializers.py", "is_valid"),
    step("    order service: order_place", "trading/services/orders.py", "order_place"),
    step("      fills_execute", "trading/services/execution.py", "fills_execute"),
    step("      order events (outbox)", "trading/services/events.py"),
    step("      transaction commit", "django/db/transaction.py", "__exit__"),
    step("    response serializer .data", "rest_framework/serializers.py", "data", parent="create"),
    step("    response serializer .data", "rest_framework/serializers.py", "data", parent="get"),
    step("    content negotiation", "rest_framework/views.py", "perform_content_negotiation"),
    step("    finalize response", "rest_framework/views.py", "finalize_response"),
    step("  response rendering (JSON)", "rest_framework/response.py", "rendered_content"),
]
MATCH_STEPS = [
    step("find the crossing orders", "trading/services/matching.py", "crossing_order_ids_many"),
    step("claim and fill a batch", "trading/services/matching.py", "orders_fill_if_crossed"),
    step(
        "  lock the batch's orders", "django/db/models/query.py", "__iter__", "__len__", parent="orders_fill_if_crossed"
    ),
    step("  read their stocks", "django/db/models/query.py", "in_bulk", parent="orders_fill_if_crossed"),
    step("  balances_lock", "portfolio/services/ledger.py", "balances_lock"),
    step("  positions_lock", "portfolio/services/positions.py", "positions_lock"),
    step("  fills_execute", "trading/services/execution.py", "fills_execute"),
    step("    settle in memory", "trading/services/execution.py", "_settle"),
    step("    order events (outbox)", "trading/services/events.py"),
    step("    rows_update (orders; balances, positions)", "stocking/core/db.py", "rows_update"),
    step("    bulk_create (executions; ledger)", "django/db/models/query.py", "bulk_create"),
    step("    ledger_flush", "portfolio/services/ledger.py", "ledger_flush"),
    step("    positions_save", "portfolio/services/positions.py", "positions_save"),
    step("  transaction commit", "django/db/transaction.py", "__exit__"),
]
PAGE_STEPS = [
    step("WSGI/test handler, whole request", "django/core/handlers/base.py", "get_response"),
    step("  session and user (middleware)", "django/contrib/auth/middleware.py"),
    step("  our selectors (reads)", "/selectors"),
    step("  template rendering", "django/template/backends/django.py", "render"),
    step("    our template tags and filters", "/templatetags/"),
    step("    number/date formatting (django.utils.formats)", "django/utils/formats.py"),
    step("    translation lookups", "django/utils/translation/"),
    step("    includes", "django/template/loader_tags.py", "render"),
]
COMMON_STEPS = [
    step("SQL round trips (cursor execute)", "django/db/backends/utils.py", "_execute"),
    step("SQL compilation (ORM)", "django/db/models/sql/compiler.py", "as_sql"),
]


# Layer of a file (first match wins); the standard library is charged to its caller's layer.
LAYERS = [
    ("database driver + SQL", ("MySQLdb/", "sqlite3/", "django/db/backends/")),
    ("Django ORM", ("django/db/",)),
    ("simplejwt + PyJWT", ("rest_framework_simplejwt/", "jwt/")),
    ("cache (throttle counters)", ("django/core/cache/", "django/core/files/", "redis/")),
    ("DRF throttling", ("rest_framework/throttling.py",)),
    (
        "DRF serializers and fields",
        (
            "rest_framework/serializers.py",
            "rest_framework/fields.py",
            "rest_framework/relations.py",
            "rest_framework/utils/",
        ),
    ),
    ("DRF renderers/parsers", ("rest_framework/renderers.py", "rest_framework/parsers.py")),
    ("DRF views/requests", ("rest_framework/",)),
    (
        "our code: services",
        ("/trading/services/", "/portfolio/services/", "/trading/krx.py", "/trading/sessions.py", "/stocking/core/"),
    ),
    ("our code: API views/serializers", ("/api/",)),
    ("our code: other", ("/accounts/", "/trading/", "/portfolio/", "/watchlist/", "/payments/", "/stocking/")),
    (
        "middleware (Django, csp, cors, whitenoise)",
        (
            "django/middleware/",
            "csp/",
            "corsheaders/",
            "whitenoise/",
            "django/contrib/sessions/",
            "django/contrib/messages/",
            "django/contrib/auth/middleware",
        ),
    ),
    ("Django handlers, http, urls, utils", ("django/core/handlers/", "django/http/", "django/urls/", "django/utils/")),
    ("Django templates", ("django/template/", "django/templatetags/", "django/forms/")),
    ("test client (not a server's cost)", ("django/test/",)),
    ("other libraries", ("site-packages/",)),
]


def layer_of(path: str) -> str | None:
    for label, fragments in LAYERS:
        if any(fragment in path for fragment in fragments):
            if fragments[0].startswith("/") and not path.startswith(ROOT):
                continue  # our own paths, not a library's file of the same name
            return label
    return None  # the standard library (or a C function): charged to the caller


def walk(frame, visit, ancestors=()):
    visit(frame, ancestors)
    for child in frame.children:
        walk(child, visit, (*ancestors, frame))


def inclusive_steps(root, steps: list[Step]) -> dict[str, float]:
    totals = {item.label: 0.0 for item in steps}

    def visit(frame, ancestors):
        caller = ancestors[-1] if ancestors else None
        for item in steps:
            if not item.matches(frame, caller):
                continue
            # Only the outermost match on this path counts (recursion and nested calls).
            if any(item.matches(a, ancestors[i - 1] if i else None) for i, a in enumerate(ancestors)):
                continue
            totals[item.label] += frame.time

    walk(root, visit)
    return totals


def by_layer(root, files: dict | None = None) -> dict[str, float]:
    totals: dict[str, float] = {}

    def visit(frame, ancestors):
        own = 0.0 if frame.is_synthetic else frame.total_self_time  # synthetic [self] frames: counted here
        if not own:
            return
        for candidate in (frame, *reversed(ancestors)):
            layer = layer_of(candidate.file_path or "")
            if layer:
                break
        else:
            layer = "standard library at the top"
        totals[layer] = totals.get(layer, 0.0) + own
        if files is not None and layer == "other libraries":
            files[candidate.file_path] = files.get(candidate.file_path, 0.0) + own

    walk(root, visit)
    return totals


def top_functions(root, n: int) -> list[tuple[float, str]]:
    """Own time summed per function, wherever it was called from."""
    totals: dict[str, float] = {}

    def visit(frame, ancestors):
        if frame.is_synthetic:
            return
        path = frame.file_path or ""
        short = path.split("site-packages/")[-1].replace(ROOT + "/", "")
        key = f"{frame.function} ({short}:{frame.line_no})"
        totals[key] = totals.get(key, 0.0) + frame.total_self_time

    walk(root, visit)
    return sorted(((seconds, key) for key, seconds in totals.items()), reverse=True)[:n]


def report(title: str, profiler: Profiler, count: int, tree: bool, steps: list[Step], unit: str = "request") -> None:
    session = profiler.last_session
    root = session.root_frame()
    total = root.time
    print(f"\n=== {title}: {count} {unit}s, {total * 1000 / count:.2f} ms each (sampled, profiler overhead included)")
    print(f"{'inclusive step':<40} {'% of all':>8} {'ms/' + unit:>10}")
    for label, seconds in inclusive_steps(root, steps + COMMON_STEPS).items():
        if seconds:
            print(f"{label:<40} {seconds / total:>8.1%} {seconds * 1000 / count:>10.3f}")
    print(f"\n{'layer (own time)':<44} {'%':>6} {'ms/' + unit:>10}")
    for label, seconds in sorted(by_layer(root).items(), key=lambda item: -item[1]):
        print(f"{label:<44} {seconds / total:>6.1%} {seconds * 1000 / count:>10.3f}")
    print("\ntop functions by own time:")
    for seconds, key in top_functions(root, 12):
        print(f"  {seconds / total:>6.1%} {seconds * 1000 / count:>8.3f} ms  {key}")
    if tree:
        print(profiler.output_text(unicode=True, color=False, show_all=False))


def profile_matching_setup(fills: int, traders: int = 50) -> int:
    """`fills` crossing limit buys from `traders` users on a stock of their own, then the price drop."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        users = [
            user_register(username=f"matcher{n}", email=f"matcher{n}@example.com", password="correct-horse-42")
            for n in range(traders)
        ]
    stock = Stock.objects.create(
        code="930000", name="Bench Match", market="KOSPI", current_price=100, previous_close=100
    )
    for n in range(fills):
        order_place(
            user=users[n % traders],
            stock_code=stock.code,
            side="buy",
            order_type="limit",
            quantity=1,
            limit_price=Decimal("95"),
            time_in_force="gtc",
        )
    Stock.objects.filter(pk=stock.pk).update(current_price=Decimal("95"))
    return traders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument("--me", type=int, default=1500)
    parser.add_argument("--fills", type=int, default=1000, help="crossing orders one profiled matching pass fills")
    parser.add_argument(
        "--page", action="append", default=[], help="also profile GET of this page for the user with 200 rows"
    )
    parser.add_argument("--page-runs", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.0005, help="sampling interval, seconds")
    parser.add_argument("--tree", action="store_true", help="print pyinstrument's call tree as well")
    args = parser.parse_args()

    bq.setup_test_environment_as_served()
    bq.use_test_database("profile")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        print(bq.code_version())
        print(f"database: {connection.vendor}; throttle cache: {bq.settings.CACHES['default']['BACKEND']}")
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            stocks = bq.seed_stocks()
            account = bq.seed_account(1, stocks)
        bodies = [
            {"stock": account.held_code, "side": side, "order_type": "market", "quantity": 1}
            for side in ("buy", "sell")
        ]
        for n in range(20):  # warm-up: imports, caches, the first throttle entries
            account.api.post("/api/v1/orders", bodies[n % 2], content_type="application/json")
            account.api.get("/api/v1/auth/me")

        if args.orders:
            profiler = Profiler(interval=args.interval, async_mode="disabled")
            profiler.start()
            for n in range(args.orders):
                response = account.api.post("/api/v1/orders", bodies[n % 2], content_type="application/json")
                assert response.status_code == 201, response.content[:300]
            profiler.stop()
            report(
                "POST /api/v1/orders (market, alternating buy/sell)", profiler, args.orders, args.tree, REQUEST_STEPS
            )

        if args.me:
            profiler = Profiler(interval=args.interval, async_mode="disabled")
            profiler.start()
            for _ in range(args.me):
                response = account.api.get("/api/v1/auth/me")
                assert response.status_code == 200
            profiler.stop()
            report("GET /api/v1/auth/me", profiler, args.me, args.tree, REQUEST_STEPS)

        if args.fills:
            traders = profile_matching_setup(args.fills)
            profiler = Profiler(interval=args.interval, async_mode="disabled")
            profiler.start()
            result = match_orders()
            profiler.stop()
            assert result.filled == args.fills, (result.filled, result.failed_order_ids[:5])
            report(
                f"match_orders: one pass, {traders} traders", profiler, args.fills, args.tree, MATCH_STEPS, unit="fill"
            )

        if args.page:
            with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
                big = bq.seed_account(200, stocks)
            for path in args.page:
                big.page.get(path)  # warm-up: template loading
                profiler = Profiler(interval=args.interval, async_mode="disabled")
                profiler.start()
                for _ in range(args.page_runs):
                    response = big.page.get(path)
                    assert response.status_code == 200, (path, response.status_code)
                profiler.stop()
                report(f"GET {path} with 200 rows", profiler, args.page_runs, args.tree, PAGE_STEPS)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        bq.shutil.rmtree(bq.CACHE_DIR, ignore_errors=True)


if __name__ == "__main__":
    main()
