from django.core.management.base import BaseCommand

from trading.services.market_day import market_day_plan, market_day_roll


class Command(BaseCommand):
    help = (
        "End finished trading days now: expire open DAY orders of earlier trading days (releasing their "
        "cash and share reservations), write each stock's daily bar and roll it to the current trading "
        "day (previous close = last price). GTC orders never expire. Idempotent: running it again does "
        "nothing. run_market does this by itself at the close (enforced hours) or at Seoul midnight."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List what would expire and roll; change nothing.")

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        if options["dry_run"]:
            plan = market_day_plan()
            for order in plan.orders:
                self.stdout.write(
                    f"Would expire order #{order.pk}: {order.user} {order.side} {order.remaining_quantity} "
                    f"{order.stock.code} @ {order.limit_price} (day {order.trading_date})"
                )
            if verbosity >= 2:
                for stock in plan.stocks:
                    self.stdout.write(f"Would roll {stock.code} from {stock.trading_date} at {stock.current_price}")
            self.stdout.write(
                f"Dry run for trading day {plan.trading_date}: {len(plan.orders)} orders would expire, "
                f"{len(plan.stocks)} stocks would roll."
            )
            return
        result = market_day_roll()
        if verbosity >= 2:
            for order_id in result.expired_order_ids:
                self.stdout.write(f"Expired order #{order_id}")
        for order_id in result.failed_order_ids:
            self.stderr.write(f"Order #{order_id} could not be expired and stays open (see the log).")
        if verbosity < 1:
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Trading day {result.trading_date}: {result.expired} orders expired, {result.rolled} stocks rolled."
            )
        )
