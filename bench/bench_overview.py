"""Benchmark: the market overview's cost per tick at 65 and 2,700 stocks, and GET /api/v1/market/overview
requests/s against /healthz, in one run.

    .venv/bin/python bench/bench_overview.py [--stocks 65,2700] [--ticks 40] [--days 60] [--workers 4]
                                             [--duration 10] [--rounds 2]

Starts a private MariaDB (bench_orders' helpers: mariadb-install-db + mariadbd on a free port, data in
a temp dir; the shared server on 3306 is never used), migrates it and seeds the demo universe with
`seed_demo --no-users --stocks N` for each N in turn (a larger N adds synthetic stocks to the
smaller universe, so the indices carry on). At each size the price mover's tick runs --ticks times in
this process as run_market runs it (market_tick: load the tradable stocks, plan, then one
transaction that locks and moves them, writes the minute bars and the tick record and runs the
overview step); the overview step is timed inside it, wall and CPU: its statements (the halted and
unpriced stocks, the index rows, values and minute bars, the one INSERT) and its computation, which
is also timed on its own. The whole tick's time is shown beside it. Goal: < 20 ms per tick at 2,700
stocks.

Then gunicorn serves the app as deployed (`gunicorn stocking.wsgi:application -w N` from the
repository root, gunicorn.conf.py, PYTHON_ENV=production, THROTTLE_ALL=100000000/min: the throttle
classes stay on) and wrk alternates equal phases of GET /healthz, GET /api/v1/market/overview and
GET /api/v1/market/overview?market=KOSDAQ, anonymous, --rounds times (every other round reversed, so
drift on this shared machine hits all alike; 4 rounds of 6 s by default). Goal: overview ≥ 0.7 ×
healthz requests/s; the server's CPU per request is printed beside it, which others' load on the
machine inflates least.
"""

import argparse
import io
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_orders import SCRUBBED, Sample, Totals, print_sample, server_env  # noqa: E402
from serverlib import (  # noqa: E402
    ROOT,
    VENV_BIN,
    Child,
    Cleanup,
    PrivateMariaDB,
    code_version,
    cpu_seconds,
    find_binary,
    free_port,
    machine_busy_seconds,
    process_tree_pids,
    wait_until,
)

LUA = Path(__file__).resolve().parent / "overview.lua"
PHASES = {
    "healthz": "/healthz",
    "overview": "/api/v1/market/overview",
    "kosdaq": "/api/v1/market/overview?market=KOSDAQ",
}
TICK_GOAL_MS = 20
RATIO_GOAL = 0.7


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stocks", default="65,2700", help="universe sizes to measure the tick at, in order")
    parser.add_argument("--ticks", type=int, default=40, help="ticks timed at each size")
    parser.add_argument("--days", type=int, default=60, help="calendar days of seeded daily bars")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn -w")
    parser.add_argument("--duration", type=float, default=6, help="seconds per phase per round")
    parser.add_argument("--rounds", type=int, default=4, help="short alternating rounds average out others' bursts")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of each phase before measuring")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t")
    parser.add_argument("--connections", type=int, default=16, help="wrk -c (in total, over its threads)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, data) for a post-mortem")
    return parser.parse_args()


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered) * 1000:>7.2f} {p95 * 1000:>7.2f}"


def measure_ticks(*, stocks: int, ticks: int, days: int) -> dict:
    """Seed up to `stocks`, then run the mover's tick and time its overview step inside it."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from trading.models import MarketOverview, Stock
    from trading.services import overview, simulator

    started = time.monotonic()
    call_command("seed_demo", "--no-users", "--stocks", str(stocks), "--days", str(days), stdout=io.StringIO())
    seeded = time.monotonic() - started
    step, step_cpu, compute, whole, records = [], [], [], [], []
    counted: list[int] = []
    real = simulator.market_overview_tick

    def timed(**kwargs):
        # The step as the tick runs it: inside the tick's transaction, after the moves and tick record.
        if len(step) == ticks:  # one more tick, not timed, to count its statements
            with CaptureQueriesContext(connection) as queries:
                record = real(**kwargs)
            counted.append(len(queries))
        else:
            wall, cpu = time.perf_counter(), time.process_time()
            record = real(**kwargs)
            step.append(time.perf_counter() - wall)
            step_cpu.append(time.process_time() - cpu)
        records.append(record)
        return record

    simulator.market_overview_tick = timed
    rng = random.Random(stocks)
    try:
        for _ in range(ticks + 1):
            began = time.perf_counter()
            simulator.market_tick(rng=rng, interval_seconds=settings.MARKET_ENGINE_INTERVAL)
            whole.append(time.perf_counter() - began)
            # The computation alone, on the rows as they now stand (the step above did it once already).
            rows = overview.rows_listed()
            computing = time.perf_counter()
            overview.overview_bodies(markets=overview.tally(rows.values()), index_rows=[], at=simulator.timezone.now())
            compute.append(time.perf_counter() - computing)
    finally:
        simulator.market_overview_tick = real
    if None in records or len(records) != ticks + 1:
        raise SystemExit(f"a tick at {stocks} stocks wrote no overview record (see the log above)")
    record = records[-1]
    size = sum(
        len(json.dumps(body, ensure_ascii=False).encode())
        for body in (record.body, record.body_kospi, record.body_kosdaq)
    )
    return {
        "stocks": Stock.objects.filter(is_listed=True).count(),
        "seeded": seeded,
        "step": step,
        "step_cpu": step_cpu,
        "compute": compute[:ticks],
        "whole": whole[:ticks],
        "statements": counted[0],
        "size": size,
        "records": MarketOverview.objects.count(),
    }


def run_wrk(args, *, wrk: str, url: str, path: str, seconds: float) -> dict:
    argv = [wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds:g}s", "--timeout", "30s"]
    done = subprocess.run([*argv, "-s", str(LUA), url, "--", path], capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("WRK_JSON "):
            return json.loads(line.removeprefix("WRK_JSON "))
    raise RuntimeError(f"wrk gave no result (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")


def measure_http(args, *, wrk: str, url: str, phase: str, gunicorn: Child, db: PrivateMariaDB) -> tuple[Sample, int]:
    gunicorn_pids = process_tree_pids(gunicorn.pid)
    before = (cpu_seconds(gunicorn_pids), cpu_seconds([db.child.pid]), resource.getrusage(resource.RUSAGE_CHILDREN))
    machine = machine_busy_seconds()
    result = run_wrk(args, wrk=wrk, url=url, path=PHASES[phase], seconds=args.duration)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    gunicorn.check_alive()
    sample = Sample(
        phase=phase,
        seconds=result["duration_us"] / 1e6,
        requests=result["requests"],
        p50_ms=result["p50_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        statuses={int(status): count for status, count in result["statuses"].items()},
        errors={name: count for name, count in result["errors"].items() if count and name != "status"},
        gunicorn_cpu=cpu_seconds(gunicorn_pids) - before[0],
        mariadb_cpu=cpu_seconds([db.child.pid]) - before[1],
        client_cpu=(children.ru_utime + children.ru_stime) - (before[2].ru_utime + before[2].ru_stime),
        machine_cpu=machine_busy_seconds() - machine,
    )
    return sample, result["bytes"] // max(1, result["requests"])


def main() -> int:
    args = parse_args()
    sizes = [int(size) for size in args.stocks.split(",")]
    wrk = find_binary("wrk", hint="On Debian: apt-get install wrk.")
    cleanup = Cleanup()
    workdir = Path(tempfile.mkdtemp(prefix="stocking-bench-overview-"))
    if args.keep:
        print(f"keeping {workdir}")
    else:
        cleanup.add(lambda: shutil.rmtree(workdir, ignore_errors=True))
    failures: list[str] = []
    try:
        db = PrivateMariaDB(workdir, database="stocking_bench")
        cleanup.add(db.stop)
        db.start()
        options = SimpleNamespace(redis=False, redis_url="", env="production", conn_max_age=None)
        env = server_env(options, database_url=db.url, cache_dir=workdir / "cache")
        for key in SCRUBBED:
            os.environ.pop(key, None)
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", verbosity=0)
        print(code_version())
        print(f"private MariaDB :{db.port}; {os.cpu_count()} CPUs shared by this process, the server and the database")
        print(f"\nper tick ({args.ticks} ticks at each size; median and p95 in ms)")
        header = (
            f"{'stocks':>7} {'overview step':>15} {'its CPU':>15} {'compute only':>15} {'whole tick':>15}"
            "  statements  record"
        )
        print(header)
        print("-" * len(header))
        measured = {}
        for size in sizes:
            result = measure_ticks(stocks=size, ticks=args.ticks, days=args.days)
            measured[size] = result
            print(
                f"{result['stocks']:>7,} {_ms(result['step'])} {_ms(result['step_cpu'])} {_ms(result['compute'])}"
                f" {_ms(result['whole'])}  {result['statements']:>10}  {result['size'] / 1024:.0f} KB"
                f"  (seeded in {result['seeded']:.0f} s)"
            )
        largest = max(measured)
        step_ms = statistics.median(measured[largest]["step"]) * 1000
        verdict = "met" if step_ms < TICK_GOAL_MS else "missed"
        print(f"goal: overview step < {TICK_GOAL_MS} ms per tick at {largest:,} stocks: {step_ms:.2f} ms, {verdict}")
        if step_ms >= TICK_GOAL_MS:
            failures.append(f"overview step {step_ms:.1f} ms at {largest} stocks")
        connections.close_all()  # gunicorn's workers take over

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
        print(
            f"\nserver: gunicorn -w {args.workers} (gunicorn.conf.py), PYTHON_ENV=production, throttles on at"
            f" THROTTLE_ALL; client: wrk -t{args.threads} -c{args.connections}, {args.duration:g} s per phase x"
            f" {args.rounds} rounds (+{args.warmup:g} s warm-up each), anonymous; {largest:,} stocks"
        )
        for phase in PHASES:
            run_wrk(args, wrk=wrk, url=url, path=PHASES[phase], seconds=args.warmup)
        totals = {phase: Totals(phase) for phase in PHASES}
        sizes_by_phase: dict[str, int] = {}
        header = (
            f"{'round':<12} {'phase':<9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'app ms':>8} {'db ms':>8}"
            f" {'client':>7} {'others':>7}  statuses"
        )
        print(header)
        print("-" * len(header))
        for round_number in range(args.rounds):
            order = list(PHASES) if round_number % 2 == 0 else list(reversed(PHASES))
            for phase in order:
                sample, body_bytes = measure_http(args, wrk=wrk, url=url, phase=phase, gunicorn=gunicorn, db=db)
                totals[phase].samples.append(sample)
                sizes_by_phase[phase] = body_bytes
                print_sample(f"round {round_number + 1}", sample)
                if set(sample.statuses) != {200} or sample.errors:
                    failures.append(f"{phase}: {sample.statuses} {sample.errors}")
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
        print("(p50/p99 of 'all rounds': the mean of the rounds' percentiles)")
        rate = {phase: totals[phase].rate for phase in PHASES}
        cost = {phase: totals[phase].server_ms_per_request() for phase in PHASES}
        print(
            "\nratio                    req/s ratio (per round)   goal   verdict   server-CPU ratio   bytes per answer"
        )
        for phase in ("overview", "kosdaq"):
            ratio = rate[phase] / rate["healthz"]
            pairs = zip(totals[phase].samples, totals["healthz"].samples, strict=True)
            rounds = [ours.rate / theirs.rate for ours, theirs in pairs]
            spread = f"{ratio:.2f} ({min(rounds):.2f}–{max(rounds):.2f})"
            verdict = "met" if ratio >= RATIO_GOAL else f"{ratio / RATIO_GOAL:.0%} of it"
            print(
                f"{phase + ' / healthz':<24} {spread:>23} {RATIO_GOAL:>6.1f}   {verdict:<9} "
                f"{cost['healthz'] / cost[phase]:>16.2f}   {sizes_by_phase[phase]:,}"
            )
            if ratio < RATIO_GOAL:
                failures.append(f"{phase}/healthz {ratio:.2f} < {RATIO_GOAL}")
        print(
            f"/api/v1/market/overview: {rate['overview']:.1f}/s, ?market=KOSDAQ: {rate['kosdaq']:.1f}/s;"
            f" /healthz: {rate['healthz']:.1f}/s"
        )
        tracebacks = gunicorn.log_path.read_text(errors="replace").count("Traceback")
        if tracebacks:
            failures.append(f"{tracebacks} tracebacks in {gunicorn.log_path}")
    finally:
        cleanup.run()
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
