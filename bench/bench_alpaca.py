"""Benchmark: market orders/s through the Alpaca-compatible API beside the native API, one run, as a ratio.

    .venv/bin/python bench/bench_alpaca.py [--users 16] [--workers 4] [--duration 10] [--rounds 3]

The setting is bench/bench_orders.py's (its seeding pattern, server environment and figures are
reused): a private MariaDB on a free port, one stock and one account per user (the initial grant plus
100 shares), gunicorn -w N from the repository root with PYTHON_ENV=production and
THROTTLE_ALL=100000000/min. Each account gets an access token and an API key.

wrk (bench/alpaca.lua) drives two phases of equal length, one after the other, every other round in
reverse order: `native` posts {"stock", "side", "order_type": "market", "quantity": 1} to
/api/v1/orders with the Bearer token; `alpaca` posts the very JSON body alpaca-py's
MarketOrderRequest(...).to_request_fields() produces to /alpaca/v2/orders with APCA-API-KEY-ID and
APCA-API-SECRET-KEY. Each account alternates buy and sell of one share. Printed: req/s, p50/p99,
statuses and server CPU per request per phase, and facade ÷ native (goal ≥ 0.9, the issue's), then
a check that every order answered was written and `audit_ledger`. Exits 1 on a non-2xx order answer
or a failed audit.
"""

import argparse
import json
import os
import re
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_orders import PRICE, SCRUBBED, SEED_SHARES, Sample, Totals, order_counts, print_sample, server_env  # noqa: E402
from serverlib import (  # noqa: E402
    ROOT,
    VENV_BIN,
    Child,
    Cleanup,
    PrivateMariaDB,
    cpu_seconds,
    find_binary,
    free_port,
    machine_busy_seconds,
    process_tree_pids,
    wait_until,
)

LUA = Path(__file__).resolve().parent / "alpaca.lua"
PHASES = ("native", "alpaca")
EXPECTED_STATUS = {"native": 201, "alpaca": 200}
GOAL = 0.9
# wrk drops the requests in flight when a phase ends; the server still answers them, so the access log
# has every order's status.
ORDER_LOG_LINE = re.compile(r'"POST (/api/v1/orders|/alpaca/v2/orders) HTTP/1\.1" (\d{3}) ')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=16, help="accounts the phases cycle through")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn -w")
    parser.add_argument("--duration", type=float, default=10, help="seconds per phase per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=3, help="seconds of each phase before measuring")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t")
    parser.add_argument("--connections", type=int, default=16, help="wrk -c (in total, over its threads)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, data) for a post-mortem")
    args = parser.parse_args()
    # What bench_orders.server_env reads besides these.
    args.env, args.redis, args.redis_url, args.conn_max_age = "production", False, "", None
    return args


def alpaca_bodies(code: str) -> tuple[str, str]:
    """The JSON alpaca-py sends for a one-share market buy and sell (its own request model builds it)."""
    from alpaca.trading.enums import OrderSide, TimeInForce
    from alpaca.trading.requests import MarketOrderRequest

    def body(side: OrderSide) -> str:
        request = MarketOrderRequest(symbol=code, qty=1, side=side, time_in_force=TimeInForce.DAY)
        return json.dumps(request.to_request_fields(), separators=(",", ":"))

    return body(OrderSide.BUY), body(OrderSide.SELL)


def seed(users: int, workdir: Path) -> Path:
    """Stocks, accounts with shares, a token and an API key each; in this process, on the private database."""
    from django.core.management import call_command
    from django.db import connections
    from django.test import override_settings
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.services import api_key_create, user_register
    from trading.models import Stock
    from trading.services import order_place

    call_command("migrate", verbosity=0)
    lines = []
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        for n in range(users):
            stock = Stock.objects.create(
                code=f"{920000 + n:06d}", name=f"Bench {n}", market="KOSPI", current_price=PRICE, previous_close=PRICE
            )
            user = user_register(username=f"alpaca{n}", email=f"alpaca{n}@example.com", password="correct-horse-42")
            order_place(user=user, stock_code=stock.code, side="buy", order_type="market", quantity=SEED_SHARES)
            key = api_key_create(user=user, name="bench")
            buy, sell = alpaca_bodies(stock.code)
            lines.append(
                "\t".join([str(AccessToken.for_user(user)), key.key.key_id, key.secret, stock.code, buy, sell])
            )
    connections.close_all()
    accounts = workdir / "accounts.tsv"
    accounts.write_text("\n".join(lines) + "\n")
    return accounts


def run_wrk(args, *, wrk: str, url: str, mode: str, accounts: Path, seconds: float) -> dict:
    argv = [wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds:g}s", "--timeout", "30s"]
    argv += ["-s", str(LUA), url, "--", mode, str(accounts)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("WRK_JSON "):
            return json.loads(line.removeprefix("WRK_JSON "))
    raise RuntimeError(f"wrk gave no result (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")


def measure(args, *, wrk: str, url: str, phase: str, accounts: Path, gunicorn: Child, db: PrivateMariaDB) -> Sample:
    pids = process_tree_pids(gunicorn.pid)
    before = (
        cpu_seconds(pids),
        cpu_seconds([db.child.pid]),
        resource.getrusage(resource.RUSAGE_CHILDREN),
        machine_busy_seconds(),
    )
    result = run_wrk(args, wrk=wrk, url=url, mode=phase, accounts=accounts, seconds=args.duration)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    gunicorn.check_alive()
    return Sample(
        phase=phase,
        seconds=result["duration_us"] / 1e6,
        requests=result["requests"],
        p50_ms=result["p50_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        statuses={int(status): count for status, count in result["statuses"].items()},
        errors={name: count for name, count in result["errors"].items() if count and name != "status"},
        gunicorn_cpu=cpu_seconds(pids) - before[0],
        mariadb_cpu=cpu_seconds([db.child.pid]) - before[1],
        client_cpu=(after.ru_utime + after.ru_stime) - (before[2].ru_utime + before[2].ru_stime),
        machine_cpu=machine_busy_seconds() - before[3],
    )


def main() -> int:
    args = parse_args()
    wrk = find_binary("wrk", hint="On Debian: apt-get install wrk.")
    cleanup = Cleanup()
    workdir = Path(tempfile.mkdtemp(prefix="stocking-bench-alpaca-"))
    if args.keep:
        print(f"keeping {workdir}")
    else:
        cleanup.add(lambda: shutil.rmtree(workdir, ignore_errors=True))
    failures: list[str] = []
    try:
        db = PrivateMariaDB(workdir, database="stocking_bench_alpaca")
        cleanup.add(db.stop)
        db.start()
        env = server_env(args, database_url=db.url, cache_dir=workdir / "cache")
        env["SECRET_KEY"] = secrets.token_urlsafe(64)
        for key in SCRUBBED:
            os.environ.pop(key, None)
        os.environ.update(env)
        import django

        django.setup()
        accounts = seed(args.users, workdir)
        port = free_port()
        argv = [str(VENV_BIN / "gunicorn"), "stocking.wsgi:application", "-w", str(args.workers)]
        argv += ["--bind", f"127.0.0.1:{port}", "--no-control-socket"]
        gunicorn = Child("gunicorn", argv, env=env, log_dir=workdir, cwd=ROOT).start()
        cleanup.add(gunicorn.stop)
        url = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            import urllib.request

            gunicorn.check_alive()
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
                return answer.status == 200

        wait_until(healthy, timeout=60, what="gunicorn")
        wait_until(lambda: len(process_tree_pids(gunicorn.pid)) > args.workers, timeout=60, what="its workers")
        print(
            f"server: gunicorn -w {args.workers}, PYTHON_ENV=production, private MariaDB :{db.port}; client: wrk"
            f" -t{args.threads} -c{args.connections}, {args.duration:g} s per phase x {args.rounds} rounds,"
            f" {args.users} users; {os.cpu_count()} CPUs shared by client, server and database"
        )
        for phase in PHASES:
            run_wrk(args, wrk=wrk, url=url, mode=phase, accounts=accounts, seconds=args.warmup)
        totals = {phase: Totals(phase) for phase in PHASES}
        header = f"{'round':<12} {'phase':<9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'app ms':>8} {'db ms':>8}"
        print(f"\n{header} {'client':>7} {'others':>7}  statuses")
        for round_number in range(args.rounds):
            for phase in PHASES if round_number % 2 == 0 else tuple(reversed(PHASES)):
                sample = measure(args, wrk=wrk, url=url, phase=phase, accounts=accounts, gunicorn=gunicorn, db=db)
                totals[phase].samples.append(sample)
                print_sample(f"round {round_number + 1}", sample)
        for phase in PHASES:
            unexpected = {s: n for s, n in totals[phase].statuses.items() if s != EXPECTED_STATUS[phase]}
            if unexpected:
                failures.append(f"{phase}: expected only {EXPECTED_STATUS[phase]}, got {unexpected}")
        native, facade = totals["native"], totals["alpaca"]
        ratio = facade.rate / native.rate
        cost = native.server_ms_per_request() / facade.server_ms_per_request()
        print(
            f"\norders/s: native {native.rate:.1f}, alpaca {facade.rate:.1f}; facade / native = {ratio:.2f}"
            f" (goal >= {GOAL}: {'met' if ratio >= GOAL else 'NOT met'}); server CPU per order, native / facade ="
            f" {cost:.2f}"
        )
        gunicorn.stop()
        log = gunicorn.log_path.read_text(errors="replace")
        if "Traceback" in log:
            failures.append(f"tracebacks in {gunicorn.log_path}")
        answered: dict[tuple[str, str], int] = {}
        for path, status in ORDER_LOG_LINE.findall(log):
            answered[(path, status)] = answered.get((path, status), 0) + 1
        counts = order_counts()
        written = sum(count for status, count in counts.items() if status != "executions")
        print(f"access log: {answered}; database: {written:,} orders, {args.users} of them seed orders")
        expected = {("/api/v1/orders", "201"), ("/alpaca/v2/orders", "200")}
        if set(answered) - expected:
            failures.append(f"orders answered otherwise: {answered}")
        if written != sum(answered.values()) + args.users:
            failures.append(f"orders in the database ({written}) != order answers + {args.users} seed orders")
        audit = subprocess.run(
            [sys.executable, "manage.py", "audit_ledger"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        print(f"manage.py audit_ledger (exit {audit.returncode}): {(audit.stdout + audit.stderr).strip()}")
        if audit.returncode:
            failures.append("audit_ledger failed")
    finally:
        cleanup.run()
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
