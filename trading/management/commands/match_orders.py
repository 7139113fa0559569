from django.core.management.base import BaseCommand

from trading.services.matching import match_orders


class Command(BaseCommand):
    help = (
        "Run one matching pass: fill every open limit order whose limit the current price has crossed "
        "(buy: price <= limit; sell: price >= limit), oldest first, at the current price. Halted and "
        "unpriced stocks are skipped; with ENFORCE_MARKET_HOURS nothing fills while the market is closed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--stock", action="append", dest="stocks", metavar="CODE", help="Only this stock (repeatable)."
        )

    def handle(self, *args, **options):
        result = match_orders(stock_codes=options["stocks"])
        verbosity = options["verbosity"]
        if not result.market_open:
            self.stdout.write(self.style.WARNING("The market is closed (ENFORCE_MARKET_HOURS); nothing was matched."))
            return
        if verbosity >= 1:
            for fill in result.fills:
                self.stdout.write(f"Filled {fill}")
        for order_id in result.failed_order_ids:
            self.stderr.write(f"Order #{order_id} could not be settled and stays open (see the log).")
        if verbosity >= 2 and result.skipped:
            self.stdout.write(f"{result.skipped} crossing orders were taken by another process or no longer cross.")
        if verbosity >= 1:
            self.stdout.write(self.style.SUCCESS(f"Matched {result.filled} orders."))
