from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cases.importing import ImportFileError, cases_import, read_records


class Command(BaseCommand):
    help = "Import case studies from a JSON list or a CSV file. All rows or none; re-importing a key updates that case."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")

    def handle(self, *args, path: Path, dry_run: bool, **options):
        try:
            records = read_records(path)
        except ImportFileError as error:
            raise CommandError(str(error)) from None
        result = cases_import(records=records, dry_run=dry_run)
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
