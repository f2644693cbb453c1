import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from cases.harvesting import HarvestError, harvest_peer


def _moment(value: str) -> datetime.datetime:
    """An ISO date (midnight, Asia/Seoul) or date-time (without an offset: Asia/Seoul)."""
    moment = parse_datetime(value)
    if moment is None and (day := parse_date(value)):
        moment = datetime.datetime.combine(day, datetime.time())
    if moment is None:
        raise CommandError(f"--since: {value!r} is not an ISO date or date-time (e.g. 2026-03-01 or 2026-03-01T09:00+09:00)")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class Command(BaseCommand):
    help = (
        "Harvest the public cases of another Gachi Hub (its /api/v1/cases/, every page) as remote cases with provenance. "
        "Re-harvesting updates what changed; local cases are never touched."
    )

    def add_arguments(self, parser):
        parser.add_argument("url", help="the peer hub's base URL, e.g. https://hub.example.go.kr")
        parser.add_argument("--since", type=_moment, help="only cases the peer last published at or after this ISO date/date-time")
        parser.add_argument("--dry-run", action="store_true", help="fetch and compare, write nothing")

    def handle(self, *args, url: str, since, dry_run: bool, **options):
        try:
            report = harvest_peer(base_url=url, since=since, dry_run=dry_run)
        except HarvestError as error:
            raise CommandError(str(error)) from None
        would = "would be " if dry_run else ""
        for label, keys in (("created", report.created), ("updated", report.updated), ("withdrawn", report.withdrawn)):
            for key in keys:
                self.stdout.write(f"{key}: {would}{label}")
        for key, reason in report.skipped:
            self.stdout.write(self.style.WARNING(f"skipped {key}: {reason}"))
        for error in report.errors:
            self.stderr.write(error)
        if not report.ok:
            raise CommandError(f"{report.summary()}; {len(report.errors)} case(s) could not be fetched or read.")
        self.stdout.write(self.style.SUCCESS(report.summary()))
