"""Load and fault test: concurrent clients over HTTP against gunicorn on a private MariaDB.

    .venv/bin/python bench/load.py [--clients 8] [--ops 2000] [--workers 4] [--seed 1] [--faults] [--keep]

Sets up its own world in a temporary directory and removes it afterwards (--keep leaves it, with every
process's log): a private MariaDB (mariadb-install-db + mariadbd on a free port; the shared server is
never touched), `migrate`, `seed_demo --no-users`, gunicorn with --workers workers, two `run_market`
engines filling limit orders, and the PortOne sandbox; throttles stay on at THROTTLE_ALL=100000000/min.
--clients threads share --ops random operations (market and limit orders, modifies, cancels, deposits,
withdrawals, top-ups paid at the sandbox, reads, the odd reset) over --users accounts.

Afterwards `audit_ledger` must report no violation, every acknowledged order, cancel, deposit,
withdrawal, reset and top-up must be in the database, nothing refused may have been written, and no
answer may be a 5xx. With --faults the same load runs while a gunicorn worker and a market engine are
killed with SIGKILL (the engine is restarted) and MariaDB is killed and restarted: then the only 5xx
allowed is the API's JSON 503 `database_unavailable` during the outage, connection errors from the
killed worker are counted apart, and the server must recover without a restart. Exit status 1 on any
failure.
"""

import argparse
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadlib.checks import (  # noqa: E402
    Fault,
    format_tally,
    misshapen,
    server_errors,
    tally,
    verify_books,
)
from loadlib.cluster import PrivateMariaDB, Stack, find_binary, wait_until  # noqa: E402
from loadlib.workload import Acknowledged, Budget, Client, pick_stocks, register_users  # noqa: E402

TICK_LINE = re.compile(r"^tick \d+: \d+ stocks moved, (\d+) orders filled", re.M)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads (default 8)")
    parser.add_argument("--ops", type=int, default=2000, help="operations in all, shared by the clients (2000)")
    parser.add_argument("--users", type=int, default=0, help="accounts the clients trade on (default: --clients)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--seed", type=int, default=1, help="seeds the operation mix and the engines (default 1)")
    parser.add_argument("--stocks", type=int, default=6, help="stocks the clients trade (default 6)")
    parser.add_argument("--market-interval", type=float, default=0.5, help="seconds between engine ticks (0.5)")
    parser.add_argument("--faults", action="store_true", help="kill a worker, an engine and MariaDB mid-run")
    parser.add_argument("--db-down", type=float, default=3.0, help="--faults: seconds MariaDB stays down (3)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (data and logs)")
    return parser.parse_args()


def wait_for_progress(budget: Budget, fraction: float, clients: list[Client]) -> bool:
    while budget.progress < fraction:
        if not any(c.is_alive() for c in clients):
            return False
        time.sleep(0.05)
    return True


def first_api_success_after(answers, instant: float) -> float | None:
    ok = [a.ended for a in list(answers) if a.target == "api" and a.started >= instant and a.status in (200, 201)]
    return min(ok) if ok else None


def inject_faults(*, stack: Stack, db: PrivateMariaDB, budget: Budget, clients, answers, args, rng) -> list[Fault]:
    faults: list[Fault] = []
    if wait_for_progress(budget, 0.2, clients):
        victim = rng.choice(sorted(stack.worker_pids()))
        at = time.monotonic()
        os.kill(victim, signal.SIGKILL)  # a gunicorn worker: started by our gunicorn, found by its parent pid
        workers = args.workers
        wait_until(
            lambda: len(pids := stack.worker_pids()) == workers and victim not in pids, timeout=60, what="a new worker"
        )
        back = time.monotonic()
        faults.append(Fault("gunicorn worker SIGKILL", at, back, f"replacement forked after {back - at:.2f} s"))

    if wait_for_progress(budget, 0.4, clients):
        engine = stack.markets[0]
        at = time.monotonic()
        engine.kill()
        time.sleep(1.0)  # as a supervisor would, not instantly
        restarted = stack.start_market()
        stack.markets[0] = restarted
        wait_until(lambda: TICK_LINE.search(restarted.log_text()), timeout=60, what="the restarted engine's tick")
        back = time.monotonic()
        faults.append(
            Fault(
                "run_market SIGKILL + restart 1 s later",
                at,
                back,
                f"first tick of the new engine after {back - at:.2f} s",
            )
        )

    if wait_for_progress(budget, 0.6, clients):
        at = time.monotonic()
        db.kill()
        time.sleep(args.db_down)
        restarted_at = time.monotonic()
        db.start()
        ready = time.monotonic()
        wait_until(
            lambda: first_api_success_after(answers, ready) is not None or not any(c.is_alive() for c in clients),
            timeout=120,
            what="the first successful API answer after the restart",
        )
        ok = first_api_success_after(answers, ready)
        back = ok if ok is not None else time.monotonic()
        faults.append(
            Fault(
                "MariaDB SIGKILL + restart",
                at,
                back,
                f"first 2xx {back - ready:.2f} s after the database was ready (down {back - at:.2f} s in all)",
                marks={"restart begun": restarted_at, "database ready": ready},
            )
        )
    return faults


def engine_figures(stack: Stack) -> tuple[int, int, int, list[str]]:
    """(ticks, fills, failed ticks, engines whose last tick failed) over the run's engine logs.

    At -v 2 every tick prints a status line, a failed one too (after its logged error)."""
    ticks = fills = failed = 0
    stuck = []
    for log in sorted(stack.workdir.glob("run_market-*.log")):
        text = log.read_text(errors="replace")
        numbers = [int(n) for n in re.findall(r"^tick (\d+): ", text, re.M)]
        failed_numbers = {int(n) for n in re.findall(r"run_market: tick (\d+) failed", text)}
        ticks += len(numbers)
        fills += sum(int(n) for n in TICK_LINE.findall(text))
        failed += len(failed_numbers)
        alive = any(engine.log_path == log for engine in stack.markets)
        if alive and numbers and numbers[-1] in failed_numbers:
            stuck.append(log.stem)
    return ticks, fills, failed, stuck


def print_phases(faults: list[Fault], answers, started: float, ended: float) -> list[str]:
    """API answers by the time they arrived: before, during and after each fault."""
    problems = []
    api = [a for a in answers if a.target == "api"]
    edges = [started] + [f.at for f in faults] + [ended]
    print("\nphases (API answers by the time they arrived):")
    before = [a for a in api if a.ended < edges[1]]
    print(f"  before any fault ({edges[1] - started:.1f} s): {format_tally(tally(before))}")
    for n, fault in enumerate(faults):
        during = [a for a in api if fault.at <= a.ended < fault.recovered]
        after = [a for a in api if fault.recovered <= a.ended < edges[n + 2]]
        print(f"  {fault.name} at +{fault.at - started:.1f} s; recovery: {fault.recovery}")
        for mark, instant in fault.marks.items():
            print(f"      {mark} at +{instant - started:.1f} s")
        print(f"      during ({fault.recovered - fault.at:.1f} s): {format_tally(tally(during))}")
        print(f"      after ({edges[n + 2] - fault.recovered:.1f} s): {format_tally(tally(after))}")
    # A 503 is right for a request that was still being served when the database died or that began
    # before it was back; any other 5xx, or a 503 to a request begun once it was ready, is a failure.
    outages = [f for f in faults if "database ready" in f.marks]
    for answer in server_errors(api):
        excused = answer.status == 503 and any(
            f.at <= answer.ended and answer.started < f.marks["database ready"] for f in outages
        )
        if not excused:
            problems.append(
                f"{answer.status} outside the database outage: {answer.request} at +{answer.started - started:.2f} s"
            )
    return problems


def main() -> int:
    args = parse_args()
    args.users = args.users or args.clients
    rng = random.Random(args.seed)
    for binary in ("mariadb-install-db", "mariadbd"):
        find_binary(binary)  # fail before creating anything
    # SIGTERM too must reach the clean-up below: the children run in their own sessions and would outlive us.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    sys.stdout.reconfigure(line_buffering=True)  # figures appear as they are printed, also in a file
    workdir = Path(tempfile.mkdtemp(prefix="stocking-load-"))
    db = PrivateMariaDB(workdir)
    stack = budget = None
    try:
        setup_started = time.monotonic()
        db.install()
        db.start()
        db.create_database()
        stack = Stack(
            workdir=workdir,
            database_url=db.url,
            workers=args.workers,
            market_interval=args.market_interval,
            seed=args.seed,
        )
        stack.manage("migrate", "--noinput")
        stack.manage("seed_demo", "--no-users", "--days", "30", "--seed", str(args.seed))
        stack.start()
        run_id = f"L{args.seed}x{int(time.time()) % 100000}"
        users = register_users(stack.base_url, args.users, prefix=f"{run_id.lower()}u")
        quotes = pick_stocks(stack.base_url, args.stocks, rng)
        setup_seconds = time.monotonic() - setup_started
        mode = "with faults" if args.faults else "plain"
        print(
            f"StocKing load run ({mode}): {args.clients} clients, {args.ops} operations, {args.users} users, "
            f"{len(quotes)} stocks, {args.workers} gunicorn workers, 2 run_market engines every "
            f"{args.market_interval:g} s, seed {args.seed}"
        )
        print(f"setup: private MariaDB on 127.0.0.1:{db.port}, migrate, seed_demo, users: {setup_seconds:.1f} s")

        budget, acked, answers = Budget(args.ops), Acknowledged(), []
        common = dict(base_url=stack.base_url, sandbox_url=stack.sandbox_url, users=users, quotes=quotes)
        clients = [
            Client(n, **common, budget=budget, acked=acked, answers=answers, seed=args.seed, run_id=run_id)
            for n in range(args.clients)
        ]
        started = time.monotonic()
        for client in clients:
            client.start()
        faults = []
        if args.faults:
            faults = inject_faults(
                stack=stack, db=db, budget=budget, clients=clients, answers=answers, args=args, rng=rng
            )
        for client in clients:
            client.join()
        ended = time.monotonic()
        wall = ended - started

        # A top-up paid at PortOne whose completion got no answer is completed again, as the browser
        # (or sync_payments) would: the same request must now succeed.
        settler = Client(args.clients, **common, budget=Budget(0), acked=acked, answers=[], seed=0, run_id=run_id)
        for merchant_uid, (user, imp_uid) in list(acked.paid.items()):
            if merchant_uid not in acked.credited:
                settler.complete(user, merchant_uid, imp_uid, op="settle")
        retried = list(settler.answers)

        alive_engines = sum(engine.alive() for engine in stack.markets)
        workers_now = len(stack.worker_pids())
        gunicorn_pid_same = stack.gunicorn.alive()
        stack.stop()  # the audit reads books that no longer move
        audit = stack.manage("audit_ledger", "-v", "2", check=False)
        books = verify_books(stack.env, acked)
        ticks, engine_fills, failed_ticks, stuck_engines = engine_figures(stack)

        api = [a for a in answers if a.target == "api"]
        sandbox = [a for a in answers if a.target == "sandbox"]
        print(f"\noperations: {budget.taken} in {wall:.1f} s wall = {budget.taken / wall:.1f} operations/s")
        print(f"HTTP requests: {len(api)} to the API ({len(api) / wall:.1f}/s), {len(sandbox)} to the sandbox")
        print(f"API answers by status: {format_tally(tally(api))}")
        by_op: dict[str, list] = {}
        for answer in api:
            by_op.setdefault(answer.request, []).append(answer)
        for request in sorted(by_op):
            print(f"  {request:<28} {format_tally(tally(by_op[request], codes=True))}")
        if retried:
            print(f"top-ups completed again after the run: {format_tally(tally(retried))}")
        print(
            f"engines: {ticks} ticks ({failed_ticks} failed on database errors), {engine_fills} orders filled by "
            f"the engines; {alive_engines}/2 engines alive at the end, ticking: {'no' if stuck_engines else 'yes'}; "
            f"gunicorn {workers_now}/{args.workers} workers under its original master: "
            f"{'yes' if gunicorn_pid_same else 'NO'}"
        )
        print("books: " + ", ".join(f"{k} {v}" for k, v in books.figures.items()))

        problems = list(books.problems) + [failure for client in clients for failure in client.failures]
        problems += [f"{name} was still failing its ticks at the end" for name in stuck_engines]
        problems += print_phases(faults, answers, started, ended) if args.faults else []
        violations = 0
        if audit.returncode != 0:
            found = re.search(r"audit failed: (\d+) violation", audit.stderr)
            violations = int(found.group(1)) if found else -1
            problems.append(f"audit_ledger: {audit.stderr.strip()[-2000:]}")
        print(
            f"\naudit_ledger: {violations} violations ({audit.stdout.strip().splitlines()[-1] if audit.stdout else ''})"
        )
        errors_5xx = server_errors(answers)
        connection_errors = sum(1 for a in api if isinstance(a.status, str))
        print(f"5xx answers: {len(errors_5xx)} {format_tally(tally(errors_5xx)) if errors_5xx else ''}".rstrip())
        print(f"connection errors and timeouts: {connection_errors}")
        if args.faults:
            if len(faults) != 3:
                problems.append(f"only {len(faults)} of 3 faults were injected: raise --ops")
            problems += [f"API error not in the JSON shape or a 5xx other than 503: {a}" for a in misshapen(answers)]
            if alive_engines != 2 or not gunicorn_pid_same or workers_now != args.workers:
                problems.append("a long-running process did not survive the faults")
        else:
            if errors_5xx:
                problems.append(f"{len(errors_5xx)} 5xx answers in a run without faults")
            if connection_errors:
                problems.append(f"{connection_errors} connection errors in a run without faults")
            problems += [f"API error not in the JSON shape: {a}" for a in misshapen(answers)]
        if retried and any(a.status != 200 for a in retried):
            problems.append("a top-up completion retried after the run did not succeed")
        for problem in problems[:50]:
            print(f"PROBLEM: {problem}")
        print("\nRESULT: " + ("FAIL" if problems else "OK") + f" ({len(problems)} problems)")
        return 1 if problems else 0
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the clean-up itself must not be cut short
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if budget is not None:
            budget.total = 0  # clients still running (an interrupted run) stop at their next operation
        for step in ([stack.stop] if stack is not None else []) + [db.stop]:
            try:
                step()
            except Exception as exc:  # keep going: every child must be stopped
                print(f"clean-up: {exc!r}", file=sys.stderr)
        if args.keep:
            print(f"kept {workdir} (data and logs; start mariadbd by hand to inspect)")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
