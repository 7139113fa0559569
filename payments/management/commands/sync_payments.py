from django.core.management.base import BaseCommand, CommandError

from payments.services import payment_sync_stale
from stocking.core.durations import duration


class Command(BaseCommand):
    help = (
        "Re-check stale `ready` payments, the review queue and recently credited payments with PortOne, which "
        "sends no webhook when a payment fails or the browser is closed, and whose cancellation webhooks can be "
        "lost. Credits what PortOne reports paid (once), closes what it never saw after --abandon-after, "
        "retries blocked refunds, takes back the virtual cash of cancellations we missed. Exits 1 if PortOne "
        "could not be asked."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=duration,
            default="10m",
            help="Age of a stale ready payment; credited payments synced more recently than this are skipped.",
        )
        parser.add_argument(
            "--abandon-after", type=duration, default="1d", help="Close ready payments PortOne never saw after this."
        )
        parser.add_argument(
            "--recheck-paid",
            type=duration,
            default="7d",
            help="Also re-check paid and partially refunded payments paid within this window, for cancellations "
            "whose webhook never arrived (0d: off).",
        )
        parser.add_argument(
            "--recheck-limit",
            type=int,
            default=200,
            help="At most this many credited payments per run, the longest unchecked first.",
        )
        parser.add_argument("--dry-run", action="store_true", help="List what would be checked; ask nobody.")

    def handle(self, *args, **options):
        if options["recheck_limit"] < 0:
            raise CommandError("--recheck-limit cannot be negative")
        outcomes = payment_sync_stale(
            older_than=options["older_than"],
            abandon_after=options["abandon_after"],
            recheck_paid=options["recheck_paid"],
            recheck_limit=options["recheck_limit"],
            dry_run=options["dry_run"],
        )
        verbosity = options["verbosity"]
        errors = [outcome for outcome in outcomes if outcome.error]
        for outcome in outcomes:
            uid = outcome.payment.merchant_uid
            if outcome.error:
                self.stderr.write(self.style.ERROR(f"{uid}: {outcome.error}"))
            elif options["dry_run"] and verbosity >= 1:
                self.stdout.write(f"{uid}: {outcome.before} (would check)")
            elif outcome.before != outcome.after or verbosity >= 2:
                self.stdout.write(f"{uid}: {outcome.before} → {outcome.after}")
        changed = sum(outcome.before != outcome.after for outcome in outcomes)
        summary = f"{len(outcomes)} payment(s) checked, {changed} changed, {len(errors)} error(s)"
        if options["dry_run"]:
            summary = f"dry run: {len(outcomes)} payment(s) would be checked"
        if errors:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
