"""Shared plumbing of import_stocks and import_prices (the leading underscore hides it from manage.py)."""

import sys
from collections.abc import Callable

from django.core.management.base import BaseCommand, CommandError

from trading.importers import ImportReport

REJECT_POLICY = (
    " The file is checked row by row first; if any row is bad nothing is imported and every error is "
    "listed with its line number (exit status 1), unless --skip-invalid is given, which imports the "
    "good rows and lists the bad ones."
)


class CsvImportCommand(BaseCommand):
    importer: Callable[..., ImportReport]
    noun = "rows"

    def add_arguments(self, parser):
        parser.add_argument("path", help="The CSV file (with a header row), or - for standard input.")
        parser.add_argument("--dry-run", action="store_true", help="Validate and count; write nothing.")
        parser.add_argument("--skip-invalid", action="store_true", help="Import the valid rows, skip the bad ones.")
        parser.add_argument(
            "--encoding",
            default="utf-8-sig",
            help="File encoding (default utf-8-sig; Excel in Korea often writes cp949).",
        )

    def handle(self, *args, **options):
        try:
            report = self._run(options)
        except FileNotFoundError:
            raise CommandError(f"No such file: {options['path']}")
        except UnicodeDecodeError as exc:
            raise CommandError(f"The file is not {options['encoding']} ({exc.reason}); try --encoding cp949.")
        for error in report.errors:
            self.stderr.write(str(error))
        if report.rejected:
            raise CommandError(
                f"{len(report.errors)} invalid rows; nothing was imported (--skip-invalid imports the rest)."
            )
        if options["verbosity"] < 1:
            return
        verb = "Would import" if report.dry_run else "Imported"
        skipped = f", skipped {len(report.errors)} invalid rows" if report.errors else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {report.imported} {self.noun} ({report.created} new, {report.updated} updated){skipped}."
            )
        )

    def _run(self, options) -> ImportReport:
        kwargs = {"dry_run": options["dry_run"], "skip_invalid": options["skip_invalid"]}
        if options["path"] == "-":
            return type(self).importer(lines=sys.stdin, **kwargs)
        with open(options["path"], encoding=options["encoding"], newline="") as handle:
            return type(self).importer(lines=handle, **kwargs)
