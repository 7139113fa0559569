from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from stocking.core.durations import duration
from trading.models import IndexBar, PriceBar
from trading.services.pricebars import pricebars_prune, pricebars_to_prune


class Command(BaseCommand):
    help = (
        "Delete price bars (stocks' and indices') older than --keep (default 30d): the market engine writes "
        "a 1-minute bar per stock and per index per minute, so those tables grow without bound otherwise. "
        "Daily bars are kept unless --interval 1d is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--keep", default="30d", help="Age of the newest bars kept, e.g. 30d, 12h (default 30d).")
        parser.add_argument("--interval", default=PriceBar.Interval.MINUTE, choices=PriceBar.Interval.values)
        parser.add_argument("--dry-run", action="store_true", help="Count what would be deleted.")

    def handle(self, *args, **options):
        try:
            keep = duration(options["keep"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        cutoff = timezone.now() - keep
        interval = options["interval"]
        if options["dry_run"]:
            count = sum(
                pricebars_to_prune(older_than=cutoff, interval=interval, model=model).count()
                for model in (PriceBar, IndexBar)
            )
            self.stdout.write(f"Would delete {count} {interval} bars starting before {cutoff:%Y-%m-%d %H:%M %Z}.")
            return
        deleted = pricebars_prune(older_than=cutoff, interval=interval)
        if options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS(f"Deleted {deleted} {interval} bars older than {options['keep']}."))
