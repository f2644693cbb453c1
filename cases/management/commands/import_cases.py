from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cases.importing import ImportFileError, cases_import, read_record_file


class Command(BaseCommand):
    help = (
        "Import case studies from a JSON list, a CSV file or an Excel workbook (.xlsx, e.g. the admin's template). "
        "All rows or none; re-importing a key updates that case."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")

    def handle(self, *args, path: Path, dry_run: bool, **options):
        try:
            file = read_record_file(path)
        except ImportFileError as error:
            raise CommandError(str(error)) from None
        # Spreadsheet rows are named by the numbers the spreadsheet shows (the header is row 1).
        result = cases_import(records=file.records, row_numbers=file.row_numbers, dry_run=dry_run)
        if not result.ok:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{path}: {len(result.errors)} problem(s); nothing was imported.")
        verb = "would create" if dry_run else "created"
        self.stdout.write(
            self.style.SUCCESS(
                f"{path}: {verb} {len(result.created)}, {'would update' if dry_run else 'updated'} {len(result.updated)} case(s)"
                + (" (dry run: nothing written)" if dry_run else "")
            )
        )
