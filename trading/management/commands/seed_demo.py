from contextlib import nullcontext

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from stocking.core.exceptions import ApplicationError
from trading.demo_data import ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_USERNAME, DEMO_STOCKS, DEMO_USERS
from trading.demo_synthetic import demo_universe
from trading.services.seeding import (
    admin_user_ensure,
    demo_users_seed,
    market_overview_seed,
    stocks_seed,
    user_summaries,
)


class Command(BaseCommand):
    help = (
        "Load the demo KOSPI/KOSDAQ universe with daily price history and demo users who hold positions. "
        "Idempotent: a second run finds everything and creates nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=42, help="Random seed of the price history (default 42).")
        parser.add_argument("--days", type=int, default=365, help="Calendar days of daily bars (default 365).")
        parser.add_argument(
            "--stocks",
            type=int,
            default=len(DEMO_STOCKS),
            help=f"Stocks in the universe (default {len(DEMO_STOCKS)}, the real ones); more adds synthetic stocks "
            "(e.g. 2700, KRX's size) to measure the engine and the overview.",
        )
        parser.add_argument("--no-users", action="store_true", help="Only stocks and prices, no demo users.")
        parser.add_argument(
            "--with-admin", action="store_true", help=f"Also create the superuser {ADMIN_USERNAME} (local demos only)."
        )
        parser.add_argument("--dry-run", action="store_true", help="Do everything, print it, then roll it back.")

    def handle(
        self, *args, seed: int, days: int, stocks: int, no_users: bool, with_admin: bool, dry_run: bool, **options
    ):
        if days < 1:
            raise CommandError("--days must be at least 1.")
        if stocks < 1:
            raise CommandError("--stocks must be at least 1.")
        verbosity = options["verbosity"]
        # Only a dry run shares one transaction: a real run commits step by step, so order_place
        # keeps its own transactions (and deadlock retries) and a re-run resumes where one stopped.
        outer = transaction.atomic() if dry_run else nullcontext()
        try:
            with outer:
                self._seed(
                    seed=seed, days=days, stocks=stocks, users=not no_users, admin=with_admin, verbosity=verbosity
                )
                if dry_run:
                    transaction.set_rollback(True)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        except ValidationError as exc:  # a demo password the configured validators reject
            raise CommandError("; ".join(exc.messages)) from exc
        if dry_run:
            self.stdout.write(self.style.WARNING("Dry run: everything above was rolled back."))

    def _seed(self, *, seed: int, days: int, stocks: int, users: bool, admin: bool, verbosity: int) -> None:
        universe = demo_universe(stocks)
        stocks = stocks_seed(universe=universe, seed=seed, days=days)
        self.stdout.write(f"Stocks: {len(stocks.created)} created, {len(stocks.found)} found")
        if stocks.shares_filled:
            self.stdout.write(f"Listed shares: set on {stocks.shares_filled} existing stocks")
        if stocks.bars_created:
            self.stdout.write(
                f"Daily bars: {stocks.bars_created:,} created for {stocks.stocks_given_bars} stocks "
                f"({stocks.first_bar_day} to {stocks.last_bar_day}, seed {seed})"
            )
        else:
            self.stdout.write("Daily bars: 0 created (every demo stock already has its history)")
        if verbosity > 1 and stocks.created:
            self.stdout.write("  created: " + " ".join(stocks.created))
        index_bars, overview = market_overview_seed()
        if index_bars:
            self.stdout.write(f"Index history: {index_bars} daily bars (KOSPI 2,600 and KOSDAQ 850 at the last close)")
        self.stdout.write("Market overview: " + ("first record written" if overview else "a record exists"))

        if users:
            result = demo_users_seed(users=DEMO_USERS)
            self.stdout.write(f"Demo users: {len(result.created)} created, {len(result.found)} found")
            self.stdout.write(f"Demo orders: {result.orders_created} placed, {result.orders_found} found")
            for reason in result.skipped:
                self.stdout.write(self.style.WARNING(f"  skipped {reason}"))
            for summary in user_summaries(usernames=[demo.username for demo in DEMO_USERS]):
                self.stdout.write(
                    f"  {summary.username:<8} cash {summary.cash:>14,.0f}  reserved {summary.reserved_cash:>12,.0f}"
                    f"  positions {summary.positions}  open orders {summary.open_orders}"
                )

        if admin:
            _, created = admin_user_ensure(username=ADMIN_USERNAME, email=ADMIN_EMAIL, password=ADMIN_PASSWORD)
            self.stdout.write(f"Admin user: {'created' if created else 'found (password unchanged)'}")
            self.stdout.write(
                self.style.WARNING(
                    f"WARNING: {ADMIN_USERNAME} / {ADMIN_PASSWORD} is a superuser with a published password. "
                    "For local demos only; never run --with-admin against a reachable deployment."
                )
            )

        if users or admin:
            self.stdout.write("Logins (demo data, published passwords):")
            for demo in DEMO_USERS if users else ():
                self.stdout.write(f"  {demo.username} / {demo.password}")
            if admin:
                self.stdout.write(f"  {ADMIN_USERNAME} / {ADMIN_PASSWORD}  (staff, /admin/)")
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
