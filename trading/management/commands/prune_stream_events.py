from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from stocking.core.durations import duration
from trading.models import MarketTick, OrderEvent
from trading.services.stream_retention import stream_events_prune


class Command(BaseCommand):
    help = (
        "Delete order events older than --keep (default 24h; clients resuming with since_seq need them "
        "at least that long) and market tick records older than --keep-ticks (default 1h)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--keep", default="24h", help="Age of the newest order events kept (default 24h).")
        parser.add_argument("--keep-ticks", default="1h", help="Age of the newest tick records kept (default 1h).")
        parser.add_argument("--dry-run", action="store_true", help="Count what would be deleted.")

    def handle(self, *args, **options):
        try:
            keep, keep_ticks = duration(options["keep"]), duration(options["keep_ticks"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if keep.total_seconds() < 24 * 3600:
            raise CommandError("--keep must be at least 24h: streams promise a day of order events to catch up on.")
        now = timezone.now()
        if options["dry_run"]:
            events = OrderEvent.objects.filter(created_at__lt=now - keep).count()
            ticks = MarketTick.objects.filter(at__lt=now - keep_ticks).count()
            self.stdout.write(f"Would delete {events} order events and {ticks} tick records.")
            return
        events, ticks = stream_events_prune(events_before=now - keep, ticks_before=now - keep_ticks)
        if options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS(f"Deleted {events} order events and {ticks} tick records."))
