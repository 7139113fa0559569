"""Benchmark: market orders/s against /auth/me/s and /healthz/s, one gunicorn, one run, as ratios.

    .venv/bin/python bench/bench_orders.py [--users 16] [--workers 4] [--duration 6] [--rounds 4] [--redis]

Starts a private MariaDB (mariadb-install-db + mariadbd on a free port, data in a temp dir; the
shared server on 3306 is never used), migrates it, seeds one stock and one account per user (the
initial cash grant plus 100 shares each) and a separate single trader, mints access tokens, then
serves the app exactly as deployed: `gunicorn stocking.wsgi:application -w N` from the repository
root, so gunicorn.conf.py (gthread workers and threads) applies, with PYTHON_ENV=production
(DEBUG off, the production middleware and headers) and THROTTLE_ALL=100000000/min (the throttle
classes stay active and cost what they cost; nobody reaches the rate).

wrk (Debian's `wrk`; apt-get install wrk) then drives four phases of equal length, one after the
other, so each has the whole server: GET /healthz, GET /api/v1/auth/me (spread over the users),
market orders spread over the users, market orders from one user (every order serialized on one
balance row). Each account alternates buy and sell of one share. The phases repeat `--rounds`
times, every other round in reverse order, so drift on this shared machine hits all of them alike.
Throttle counters live in a private file cache (the default backend, in a private directory on
tmpfs where the settings' default would be, /dev/shm, else in the run's temp dir on disk;
--cache-dir picks the parent) or, with --redis, in Redis db 13 (flushed before and after; no other
db is touched).

Printed: req/s, p50/p99, status counts, the server's CPU per request (gunicorn and mariadbd,
which this noisy machine's other load does not inflate as much as it does req/s), the client's CPU
share, the three ratios against the issue's goals, a database cross-check (orders written ==
201 answers) and `manage.py audit_ledger`. Exits 1 if any order was not a 201 or the audit fails.
"""

import argparse
import json
import os
import re
import resource
import runpy
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from serverlib import (  # noqa: E402
    ROOT,
    VENV_BIN,
    Child,
    Cleanup,
    PrivateMariaDB,
    code_version,
    cpu_seconds,
    default_cache_parent,
    find_binary,
    free_port,
    machine_busy_seconds,
    process_tree_pids,
    wait_until,
)

LUA = Path(__file__).resolve().parent / "stocking.lua"
PRICE = 10_000  # won; a buy holds 13,000 (the upper limit) and the 10M grant covers thousands of round trips
SEED_SHARES = 100  # more than the buys a client can have in flight, so a sell never finds no shares
ORDER_LOG_LINE = re.compile(r'"POST /api/v1/orders HTTP/1\.1" (\d{3}) ')
PHASES = ("healthz", "me", "orders16", "orders1")
EXPECTED_STATUS = {"healthz": 200, "me": 200, "orders16": 201, "orders1": 201}
# Environment that would change what is measured: the benchmark decides these itself.
SCRUBBED = (
    "CACHE_URL",
    "DATABASE_URI",
    "DEBUG",
    "DJANGO_SETTINGS_MODULE",
    "GUNICORN_BIND",
    "GUNICORN_THREADS",
    "GUNICORN_WORKERS",
    "PORT",
    "WEB_CONCURRENCY",
    "CONN_MAX_AGE",
    "THROTTLE_ANON",
    "THROTTLE_USER",
    "THROTTLE_AUTH",
    "THROTTLE_ORDERS",
)


@dataclass
class Sample:
    """One wrk run plus the CPU every party used meanwhile."""

    phase: str
    seconds: float
    requests: int
    p50_ms: float
    p99_ms: float
    statuses: dict[int, int]
    errors: dict[str, int]
    gunicorn_cpu: float
    mariadb_cpu: float
    client_cpu: float
    machine_cpu: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def other_cpu(self) -> float:
        """CPU seconds of everything else on the machine (other people's work: noise)."""
        return max(0.0, self.machine_cpu - self.gunicorn_cpu - self.mariadb_cpu - self.client_cpu)


@dataclass
class Totals:
    phase: str
    samples: list[Sample] = field(default_factory=list)

    def sum(self, name: str) -> float:
        return sum(getattr(sample, name) for sample in self.samples)

    @property
    def rate(self) -> float:
        return self.sum("requests") / self.sum("seconds")

    @property
    def statuses(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for sample in self.samples:
            for status, count in sample.statuses.items():
                counts[status] = counts.get(status, 0) + count
        return counts

    def server_ms_per_request(self) -> float:
        return (self.sum("gunicorn_cpu") + self.sum("mariadb_cpu")) * 1000 / max(1, self.sum("requests"))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=16, help="accounts the spread phases cycle through")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn -w")
    parser.add_argument("--duration", type=float, default=6, help="seconds per phase per round")
    parser.add_argument("--rounds", type=int, default=4, help="more, shorter rounds average out others' bursts")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of each phase before measuring")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t")
    parser.add_argument("--connections", type=int, default=16, help="wrk -c (in total, over its threads)")
    parser.add_argument("--redis", action="store_true", help="throttle counters in Redis (CACHE_URL=redis://...)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13", help="a db no one else uses")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        help="put the file cache in a private directory under this one (default: /dev/shm where the"
        " settings' default cache is, else the run's temp dir)",
    )
    parser.add_argument(
        "--env",
        choices=("production", "development"),
        default="production",
        help="PYTHON_ENV of the server (development runs with DEBUG=false as well)",
    )
    parser.add_argument("--conn-max-age", type=int, help="override CONN_MAX_AGE (default: the settings' own)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, data) for a post-mortem")
    return parser.parse_args()


def server_env(args: argparse.Namespace, *, database_url: str, cache_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in SCRUBBED}
    env.update(
        DJANGO_SETTINGS_MODULE="stocking.settings",
        PYTHON_ENV=args.env,
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),  # production refuses the development key; tokens are signed with it
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",  # plain HTTP on loopback; everything else of production stays on
        DATABASE_URL=database_url,
        # The default backend in a private directory, so no other run shares or culls its counters.
        CACHE_URL=args.redis_url if args.redis else f"filecache://{cache_dir}",
        THROTTLE_ALL="100000000/min",
        JWT_ACCESS_MINUTES="600",
    )
    if args.conn_max_age is not None:
        env["CONN_MAX_AGE"] = str(args.conn_max_age)
    return env


def redis_flush(url: str) -> None:
    """FLUSHDB on the benchmark's own db only (never FLUSHALL)."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.flushdb()
    except redis.exceptions.ConnectionError as exc:
        raise SystemExit(f"--redis: no Redis at {url}: {exc}")
    finally:
        client.close()


def seed(users: int, workdir: Path) -> tuple[Path, Path]:
    """Stocks, accounts with shares, tokens. Runs in this process against the private database."""
    from django.core.management import call_command
    from django.db import connections
    from django.test import override_settings
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.services import user_register
    from trading.models import Stock
    from trading.services import order_place

    call_command("migrate", verbosity=0)
    # The passwords are never used (tokens are minted here): skip production's slow hasher.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        stocks = [
            Stock.objects.create(
                code=f"{910000 + n:06d}", name=f"Bench {n}", market="KOSPI", current_price=PRICE, previous_close=PRICE
            )
            for n in range(users)
        ]
        lines_many, lines_one = [], []
        for n in range(users + 1):
            name = f"bench{n}" if n < users else "solo"
            user = user_register(username=name, email=f"{name}@example.com", password="correct-horse-battery-42")
            stock = stocks[n % users]
            order_place(user=user, stock_code=stock.code, side="buy", order_type="market", quantity=SEED_SHARES)
            line = f"{AccessToken.for_user(user)} {stock.code}\n"
            (lines_many if n < users else lines_one).append(line)
    connections.close_all()  # gunicorn's workers take over; this process only reads at the end
    many, one = workdir / "accounts-many.txt", workdir / "accounts-one.txt"
    many.write_text("".join(lines_many))
    one.write_text("".join(lines_one))
    return many, one


def run_wrk(args, *, wrk: str, url: str, mode: str, accounts: Path | None, seconds: float) -> dict:
    argv = [
        wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "30s",
        "-s",
        str(LUA),
        url,
        "--",
        mode,
    ]
    if accounts is not None:
        argv.append(str(accounts))
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("WRK_JSON "):
            return json.loads(line.removeprefix("WRK_JSON "))
    raise RuntimeError(f"wrk gave no result (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")


def measure(args, *, wrk: str, url: str, phase: str, files: dict, gunicorn: Child, db: PrivateMariaDB) -> Sample:
    mode = {"healthz": "healthz", "me": "me", "orders16": "orders", "orders1": "orders"}[phase]
    accounts = {"healthz": None, "me": files["many"], "orders16": files["many"], "orders1": files["one"]}[phase]
    gunicorn_pids = process_tree_pids(gunicorn.pid)
    before = (
        cpu_seconds(gunicorn_pids),
        cpu_seconds([db.child.pid]),
        resource.getrusage(resource.RUSAGE_CHILDREN),
        machine_busy_seconds(),
    )
    result = run_wrk(args, wrk=wrk, url=url, mode=mode, accounts=accounts, seconds=args.duration)
    after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    gunicorn.check_alive()
    return Sample(
        phase=phase,
        seconds=result["duration_us"] / 1e6,
        requests=result["requests"],
        p50_ms=result["p50_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        statuses={int(status): count for status, count in result["statuses"].items()},
        errors={name: count for name, count in result["errors"].items() if count and name != "status"},
        gunicorn_cpu=cpu_seconds(gunicorn_pids) - before[0],
        mariadb_cpu=cpu_seconds([db.child.pid]) - before[1],
        client_cpu=(after_children.ru_utime + after_children.ru_stime) - (before[2].ru_utime + before[2].ru_stime),
        machine_cpu=machine_busy_seconds() - before[3],
    )


def print_sample(label: str, sample: Sample) -> None:
    statuses = " ".join(f"{status}:{count}" for status, count in sorted(sample.statuses.items()))
    errors = " ".join(f"{name}:{count}" for name, count in sample.errors.items())
    print(
        f"{label:<12} {sample.phase:<9} {sample.rate:>8.1f} {sample.p50_ms:>8.1f} {sample.p99_ms:>8.1f}"
        f" {sample.gunicorn_cpu * 1000 / max(1, sample.requests):>8.2f}"
        f" {sample.mariadb_cpu * 1000 / max(1, sample.requests):>8.2f}"
        f" {sample.client_cpu / sample.seconds:>7.0%} {sample.other_cpu / sample.seconds:>7.0%}  {statuses} {errors}"
    )


def order_counts() -> dict[str, int]:
    from django.db import connections
    from django.db.models import Count

    from trading.models import Execution, Order

    counts = dict(Order.objects.values_list("status").annotate(n=Count("id")).order_by())
    counts["executions"] = Execution.objects.count()
    connections.close_all()
    return counts


def main() -> int:
    args = parse_args()
    wrk = find_binary("wrk", hint="On Debian: apt-get install wrk.")
    cleanup = Cleanup()
    workdir = Path(tempfile.mkdtemp(prefix="stocking-bench-orders-"))
    if args.keep:
        print(f"keeping {workdir}")
    else:
        cleanup.add(lambda: shutil.rmtree(workdir, ignore_errors=True))
    failures: list[str] = []
    try:
        started = time.monotonic()
        db = PrivateMariaDB(workdir, database="stocking_bench")
        cleanup.add(db.stop)
        db.start()
        cache_parent = args.cache_dir or default_cache_parent()
        if cache_parent:
            cache_dir = Path(tempfile.mkdtemp(prefix="stocking-bench-cache-", dir=cache_parent))
            cleanup.add(lambda: shutil.rmtree(cache_dir, ignore_errors=True))
        else:
            cache_dir = workdir / "cache"
        env = server_env(args, database_url=db.url, cache_dir=cache_dir)
        if args.redis:
            redis_flush(args.redis_url)
            cleanup.add(lambda: redis_flush(args.redis_url))
        for key in SCRUBBED:
            os.environ.pop(key, None)
        os.environ.update(env)
        import django

        django.setup()
        from django.conf import settings

        many, one = seed(args.users, workdir)
        files = {"many": many, "one": one}
        port = free_port()
        gunicorn = Child(
            "gunicorn",
            [
                str(VENV_BIN / "gunicorn"),
                "stocking.wsgi:application",
                "-w",
                str(args.workers),
                "--bind",
                f"127.0.0.1:{port}",
                # gunicorn's default control socket sits in $HOME, shared with any other gunicorn
                "--no-control-socket",
            ],
            env=env,
            log_dir=workdir,
            cwd=ROOT,  # gunicorn.conf.py (worker class, threads) is read from here
        ).start()
        cleanup.add(gunicorn.stop)
        url = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            import urllib.request

            gunicorn.check_alive()
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
                return answer.status == 200

        wait_until(healthy, timeout=60, what="gunicorn")
        wait_until(lambda: len(process_tree_pids(gunicorn.pid)) > args.workers, timeout=60, what="its workers")
        cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[1]
        cache += f" ({settings.CACHES['default'].get('LOCATION')})"
        print(code_version())
        conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
        print(
            f"server: gunicorn -w {args.workers} (gunicorn.conf.py: {conf['worker_class']}, {conf['threads']}"
            f" threads), PYTHON_ENV={args.env}, DEBUG=false, CONN_MAX_AGE="
            f"{settings.DATABASES['default']['CONN_MAX_AGE']}, throttle cache {cache},"
            f" private MariaDB :{db.port}"
        )
        print(
            f"client: wrk -t{args.threads} -c{args.connections}, {args.duration:g} s per phase x {args.rounds} rounds"
            f" (+{args.warmup:g} s warm-up each); {args.users} users + 1 solo trader; {os.cpu_count()} CPUs shared"
            f" by client, server and database (setup {time.monotonic() - started:.0f} s)"
        )
        for phase in PHASES:
            mode = "orders" if phase.startswith("orders") else phase
            accounts = files["one"] if phase == "orders1" else (None if phase == "healthz" else files["many"])
            run_wrk(args, wrk=wrk, url=url, mode=mode, accounts=accounts, seconds=args.warmup)
        totals = {phase: Totals(phase) for phase in PHASES}
        header = (
            f"{'round':<12} {'phase':<9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'app ms':>8} {'db ms':>8}"
            f" {'client':>7} {'others':>7}  statuses"
        )
        print(
            "\napp ms / db ms: CPU of gunicorn / mariadbd per request; client, others: share of one core"
            " used by wrk / by everything else on the machine"
        )
        print(header)
        print("-" * len(header))
        for round_number in range(args.rounds):
            order = PHASES if round_number % 2 == 0 else tuple(reversed(PHASES))
            for phase in order:
                sample = measure(args, wrk=wrk, url=url, phase=phase, files=files, gunicorn=gunicorn, db=db)
                totals[phase].samples.append(sample)
                print_sample(f"round {round_number + 1}", sample)
        print("-" * len(header))
        for phase in PHASES:
            total = totals[phase]
            merged = Sample(
                phase=phase,
                seconds=total.sum("seconds"),
                requests=int(total.sum("requests")),
                p50_ms=total.sum("p50_ms") / len(total.samples),
                p99_ms=total.sum("p99_ms") / len(total.samples),
                statuses=total.statuses,
                errors={},
                gunicorn_cpu=total.sum("gunicorn_cpu"),
                mariadb_cpu=total.sum("mariadb_cpu"),
                client_cpu=total.sum("client_cpu"),
                machine_cpu=total.sum("machine_cpu"),
            )
            print_sample("all rounds", merged)
            unexpected = {s: n for s, n in total.statuses.items() if s != EXPECTED_STATUS[phase]}
            errors = {}
            for sample in total.samples:
                for name, count in sample.errors.items():
                    errors[name] = errors.get(name, 0) + count
            if unexpected or errors:
                failures.append(f"{phase}: expected only {EXPECTED_STATUS[phase]}, got {unexpected} {errors}")
        print("(p50/p99 of 'all rounds': the mean of the rounds' percentiles)")

        rate = {phase: totals[phase].rate for phase in PHASES}
        cost = {phase: totals[phase].server_ms_per_request() for phase in PHASES}
        print(
            "\nratio                    req/s ratio  per round   goal   verdict    server-CPU ratio"
            " (the 1st's CPU per request / the 2nd's)"
        )
        for label, top, bottom, goal in (
            (f"orders ({args.users} users) / me", "orders16", "me", 0.5),
            ("orders (1 user) / me", "orders1", "me", 0.4),
            ("me / healthz", "me", "healthz", 0.7),
        ):
            ratio = rate[top] / rate[bottom]
            rounds = [t.rate / b.rate for t, b in zip(totals[top].samples, totals[bottom].samples, strict=True)]
            spread = f"{min(rounds):.2f}-{max(rounds):.2f}"
            verdict = "met" if ratio >= goal else f"{ratio / goal:.0%} of it"
            print(
                f"{label:<24} {ratio:>11.2f} {spread:>10} {goal:>6.1f}   {verdict:<9} {cost[bottom] / cost[top]:>8.2f}"
            )
        print(
            f"orders/s: {rate['orders16']:.1f} ({args.users} users), {rate['orders1']:.1f} (1 user);"
            f" /me/s: {rate['me']:.1f}; /healthz/s: {rate['healthz']:.1f}"
        )

        # A graceful stop lets the workers finish the requests wrk left in flight, so their
        # access-log lines are written before the log is read.
        gunicorn.stop()
        log = gunicorn.log_path.read_text(errors="replace")
        retries = log.count("retrying ")
        tracebacks = log.count("Traceback")
        print(f"server log: {retries} deadlock/lock-wait retries, {tracebacks} tracebacks")
        if tracebacks:
            failures.append(f"{tracebacks} tracebacks in {gunicorn.log_path}")

        # wrk drops the requests in flight when a phase ends; the server still answers them, so the
        # access log, not wrk, has every order's status.
        answered: dict[str, int] = {}
        for status in ORDER_LOG_LINE.findall(log):
            answered[status] = answered.get(status, 0) + 1
        counts = order_counts()
        seeded = args.users + 1
        written = sum(count for status, count in counts.items() if status != "executions")
        print(
            f"access log: POST /api/v1/orders answered {answered}; database: {written:,} orders"
            f" ({', '.join(f'{s} {n:,}' for s, n in counts.items())}), {seeded} of them seed orders"
        )
        if set(answered) != {"201"}:
            failures.append(f"orders answered other than 201: {answered}")
        if written != answered.get("201", 0) + seeded:
            failures.append(f"orders in the database ({written}) != 201 answers + {seeded} seed orders")
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
