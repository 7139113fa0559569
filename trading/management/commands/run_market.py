import contextlib
import logging
import random
import signal
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections, connection

from stocking.core.db import discard_broken_connections
from trading.services.lease import MOVER, lease_hold, lease_holder_id, lease_release
from trading.services.market_day import market_day_roll
from trading.services.matching import match_orders
from trading.services.simulator import market_tick
from trading.services.triggers import stops_trigger

logger = logging.getLogger(__name__)


@dataclass
class Totals:
    ticks: int = 0
    moved: int = 0
    filled: int = 0
    expired: int = 0
    triggered: int = 0
    failed: int = 0
    errors: int = 0


class Command(BaseCommand):
    help = (
        "Run the market engine: every --interval seconds move prices (seeded random walk on the KRX "
        "tick grid, inside the daily price limits), fill the resting limit orders the new prices cross "
        "(oldest first, at the market price) and, when the trading day has ended, expire DAY orders "
        "and roll every stock to the new day. Several processes may run side by side: orders are "
        "claimed under row locks. Stops cleanly on SIGTERM/SIGINT after finishing the current tick."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help=f"Seconds between ticks (default MARKET_ENGINE_INTERVAL, {settings.MARKET_ENGINE_INTERVAL}).",
        )
        parser.add_argument("--seed", type=int, default=None, help="Seed of the price simulator (default: random).")
        parser.add_argument(
            "--ticks", type=int, default=0, help="Stop after this many ticks (default 0: run until stopped)."
        )
        parser.add_argument(
            "--no-simulate",
            action="store_true",
            help="Do not move prices; only match orders and roll the day (prices come from imports).",
        )

    def handle(self, *args, **options):
        interval = settings.MARKET_ENGINE_INTERVAL if options["interval"] is None else options["interval"]
        if interval < 0 or options["ticks"] < 0:
            raise CommandError("--interval and --ticks must not be negative.")
        seed = options["seed"] if options["seed"] is not None else random.SystemRandom().randrange(2**32)
        self.verbosity = options["verbosity"]
        self.stop_requested = False
        previous_handlers = self._install_signal_handlers()
        if self.verbosity >= 1:
            limit = f"{options['ticks']} ticks" if options["ticks"] else "until stopped"
            self.stdout.write(f"Market engine: seed {seed}, a tick every {interval:g}s, {limit}.")
        totals = Totals()
        self.lease_holder, self.moving = lease_holder_id(), None
        try:
            # Roll before the first tick: after downtime, stale DAY orders must expire before any fill.
            try:
                totals.expired += self._roll().expired
            except DatabaseError:
                # Started while the database is down: the loop's first tick rolls once it is back.
                logger.exception("run_market: the first day roll failed")
                totals.errors += 1
            self._loop(rng=random.Random(seed), interval=interval, options=options, totals=totals)
        finally:
            for signum, handler in previous_handlers.items():
                signal.signal(signum, handler)
            if self.moving:
                with contextlib.suppress(DatabaseError):
                    lease_release(name=MOVER, holder=self.lease_holder)
        if self.verbosity < 1:
            return
        if self.stop_requested:
            self.stdout.write("Stop requested: the current tick was finished.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Market engine stopped after {totals.ticks} ticks: {totals.moved} price moves, "
                f"{totals.filled} orders filled, {totals.expired} orders expired, {totals.triggered} stops triggered"
                + (f", {totals.failed} orders could not be settled" if totals.failed else "")
                + (f", {totals.errors} ticks failed on database errors" if totals.errors else "")
                + "."
            )
        )

    def _install_signal_handlers(self) -> dict:
        if threading.current_thread() is not threading.main_thread():
            return {}  # signal handlers can only be set from the main thread (e.g. not in tests' threads)
        previous = {}
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, self._request_stop)
        return previous

    def _request_stop(self, signum, frame) -> None:
        if self.stop_requested and signum == signal.SIGINT:
            raise KeyboardInterrupt  # a second Ctrl-C: the operator does not want to wait for the tick
        # Only a flag (no I/O, no locks): the handler runs in the middle of whatever it interrupted.
        self.stop_requested = True

    def _roll(self):
        result = market_day_roll()
        if result.rolled and self.verbosity >= 1:
            self.stdout.write(
                f"Trading day {result.trading_date}: {result.expired} DAY orders expired, "
                f"{result.rolled} stocks rolled, {result.snapshots} portfolio snapshots written."
            )
        return result

    def _loop(self, *, rng: random.Random, interval: float, options: dict, totals: Totals) -> None:
        ticks = options["ticks"]
        while not self.stop_requested and (not ticks or totals.ticks < ticks):
            started = time.monotonic()
            totals.ticks += 1
            # A connection a lost server left "in a transaction" with no block open is dropped first
            # (else the check below would skip the clean-up forever and every tick would fail).
            discard_broken_connections()
            if not connection.in_atomic_block:
                # A long-running process must drop connections the database has closed, as a request
                # would. (Never inside a transaction: that would be a test's, or a caller's.)
                close_old_connections()
            try:
                moved, triggered = 0, []
                # Roll first: the first tick of a new day must price against the new day's limits.
                expired = self._roll().expired
                if not options["no_simulate"] and self._holds_mover_lease(interval):
                    # --interval 0 (as fast as possible) still simulates a normal tick's worth of time.
                    simulated = interval or settings.MARKET_ENGINE_INTERVAL
                    moved = market_tick(rng=rng, interval_seconds=simulated).moved
                # Stops see the new prices before matching does: a triggered stop-limit may cross now.
                triggered = stops_trigger().triggered_order_ids
                matched = match_orders()
            except DatabaseError:
                # A database outage must not kill the engine; the next tick tries again.
                logger.exception("run_market: tick %d failed", totals.ticks)
                totals.errors += 1
                moved, expired, triggered = 0, 0, []
                matched = None
            filled = matched.filled if matched else 0
            totals.moved += moved
            totals.filled += filled
            totals.expired += expired
            totals.triggered += len(triggered)
            totals.failed += len(matched.failed_order_ids) if matched else 0
            elapsed = time.monotonic() - started
            if self.verbosity >= 2:
                self.stdout.write(
                    f"tick {totals.ticks}: {moved} stocks moved, {filled} orders filled, "
                    f"{expired} orders expired, {len(triggered)} stops triggered, {elapsed * 1000:.0f} ms"
                )
            if self.verbosity >= 3 and matched:
                for fill in matched.fills:
                    self.stdout.write(f"  filled {fill}")
            if ticks and totals.ticks >= ticks:
                break
            self._sleep(interval - elapsed)

    def _holds_mover_lease(self, interval: float) -> bool:
        """Re-checked every tick: only the holder moves prices (and writes tick records); every
        engine matches. A holder that stops (or dies) is replaced within a few intervals."""
        ttl = timedelta(seconds=max(5.0, 3 * (interval or settings.MARKET_ENGINE_INTERVAL)))
        holds = lease_hold(name=MOVER, holder=self.lease_holder, ttl=ttl)
        if holds != self.moving and self.verbosity >= 1:
            self.stdout.write(
                "Moving prices (this engine holds the lease)." if holds else "Another engine moves prices."
            )
        self.moving = holds
        return holds

    def _sleep(self, seconds: float) -> None:
        # Short naps so a stop request is honoured within 0.1 s rather than after a whole interval.
        deadline = time.monotonic() + seconds
        while not self.stop_requested and (remaining := deadline - time.monotonic()) > 0:
            time.sleep(min(0.1, remaining))
