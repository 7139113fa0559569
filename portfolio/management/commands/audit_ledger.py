from django.core.management.base import BaseCommand, CommandError

from portfolio.audit import run_audit


class Command(BaseCommand):
    help = (
        "Check every money invariant: ledger sum == cash per user, cash and reservations never negative, "
        "reserved cash == open buy orders' holds, reserved shares == open sell orders' holds, "
        "position quantity == buys − sells, order fills == executions. Exits 1 on any violation."
    )

    def handle(self, *args, **options):
        report = run_audit()
        if options["verbosity"] >= 2:
            for name, count in report.checks.items():
                self.stdout.write(f"checked {name}: {count}")
        if not report.ok:
            for violation in report.violations:
                self.stderr.write(self.style.ERROR(violation))
            raise CommandError(f"audit failed: {len(report.violations)} violation(s)")
        summary = ", ".join(f"{count} {name}" for name, count in report.checks.items())
        self.stdout.write(self.style.SUCCESS(f"audit ok: {summary}"))
