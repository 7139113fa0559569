from datetime import date

from django.core.management.base import BaseCommand, CommandError

from portfolio.models import Balance
from portfolio.services.snapshots import snapshots_write
from stocking.core.clock import local_now


class Command(BaseCommand):
    help = (
        "Write every user's equity-curve point (cash, holdings at current prices, net capital) for a "
        "date: today (Asia/Seoul) by default. Idempotent per user and date: running it again "
        "overwrites that date's points with the values as of now. The market engine does this by "
        "itself at every day roll."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="ISO date the points are filed under (default: today in Seoul).")
        parser.add_argument("--dry-run", action="store_true", help="Say how many points would be written.")

    def handle(self, *args, **options):
        on = local_now().date()
        if options["date"]:
            try:
                on = date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError(f"--date must be YYYY-MM-DD, not {options['date']!r}") from exc
        if options["dry_run"]:
            self.stdout.write(f"Would write {Balance.objects.count()} snapshots for {on}.")
            return
        written = snapshots_write(on=on)
        if options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS(f"Wrote {written} portfolio snapshots for {on}."))
