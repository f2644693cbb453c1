from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from hub.member_import import ImportFileError, members_import, read_record_file


class Command(BaseCommand):
    help = (
        "Create or update approved member accounts from a JSON list or a CSV file (email, name, place, organisation, role, "
        "interests, frequency). All rows or none; an e-mail already registered updates that account. New accounts get a "
        "set-password e-mail."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="validate and report, write nothing, send nothing")
        parser.add_argument(
            "--resend", action="store_true", help="also send the set-password e-mail again to listed accounts that have no password yet"
        )

    def handle(self, *args, path: Path, dry_run: bool, resend: bool, **options):
        try:
            file = read_record_file(path)
        except ImportFileError as error:
            raise CommandError(str(error)) from None
        result = members_import(records=file.records, row_numbers=file.row_numbers, dry_run=dry_run, resend=resend)
        if not result.ok:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{path}: {len(result.errors)} problem(s); nothing was imported.")
        if dry_run:
            summary = f"would create {len(result.created)}, would update or keep {len(result.updated)} member(s) (dry run: nothing written)"
        else:
            summary = (
                f"created {len(result.created)}, updated {len(result.updated)}, unchanged {len(result.unchanged)} member(s); "
                f"set-password e-mails queued: {len(result.invited)}"
            )
        self.stdout.write(self.style.SUCCESS(f"{path}: {summary}"))
