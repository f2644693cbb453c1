import datetime
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from hub.digests import DIGEST_TIMEZONE, FREQUENCIES, digest_plans, digest_recipients, digest_run
from hub.models import Member
from search.backends import SearchUnavailable


class Command(BaseCommand):
    help = (
        "Build and send the daily or weekly digest e-mails for the last period that ended by now (07:00 Asia/Seoul). "
        "Safe to repeat: what was sent is not sent again. --dry-run shows what would be sent and writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--frequency", required=True, choices=FREQUENCIES)
        parser.add_argument("--dry-run", action="store_true", help="send nothing, write nothing; list what each member would get")
        parser.add_argument("--member", metavar="EMAIL", help="only this member (an approved member's e-mail address)")
        parser.add_argument(
            "--now", metavar="ISO-DATETIME", help="the run moment, e.g. 2026-11-21T07:00 (Asia/Seoul unless an offset is given)"
        )
        parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON")

    def handle(self, *args, frequency: str, dry_run: bool, member: str | None, now: str | None, as_json: bool, **options):
        moment = _parse_now(now) if now else timezone.now()
        emails, found = None, None
        if member:
            found = Member.objects.select_related("user").filter(user__email__iexact=member.strip()).first()
            if found is None:
                raise CommandError(f"--member: no member has the e-mail address {member!r}.")
            if not digest_recipients(frequency=frequency, member_emails=[found.user.email]).exists():
                self.stderr.write(
                    f"{found.user.email} does not receive {frequency} digests (not approved, inactive, or another frequency)."
                )
            emails = [found.user.email]
        try:
            if dry_run:
                self._dry_run(frequency=frequency, moment=moment, member=found, as_json=as_json)
            else:
                self._run(frequency=frequency, moment=moment, emails=emails, as_json=as_json)
        except SearchUnavailable as error:
            raise CommandError(f"the search index is unavailable, nothing was sent: {error}") from None
        except OSError as error:
            raise CommandError(f"the mail server could not be reached; built digests are sent by the next run: {error}") from None

    def _dry_run(self, *, frequency: str, moment: datetime.datetime, member: Member | None, as_json: bool) -> None:
        members = [member] if member else list(digest_recipients(frequency=frequency).select_related("user"))
        plans = digest_plans(members=members, frequency=frequency, now=moment) if members else {}
        if member:
            plan = plans[member.pk]
            if as_json:
                self.stdout.write(_dumps([_entry_json(entry) for entry in plan.entries]))
                return
            self.stdout.write(f"{member.user.email}: {len(plan.entries)} entries for {_period(plan.period_start, plan.period_end)}")
            for entry in plan.entries:
                self.stdout.write(f"  {entry.key}  {entry.title}  [{'; '.join(r.text for r in entry.reasons)}]")
            return
        if as_json:
            self.stdout.write(
                _dumps([{"member": m.user.email, "entries": [_entry_json(entry) for entry in plans[m.pk].entries]} for m in members])
            )
            return
        for m in members:
            self.stdout.write(f"{m.user.email}: {len(plans[m.pk].entries)} entries")
        self.stdout.write(f"dry run: {len(members)} member(s), nothing sent, nothing written")

    def _run(self, *, frequency: str, moment: datetime.datetime, emails: list[str] | None, as_json: bool) -> None:
        run = digest_run(frequency=frequency, now=moment, member_emails=emails)
        counts = {
            "run": run.pk,
            "frequency": run.frequency,
            "period_start": run.period_start.astimezone(DIGEST_TIMEZONE).isoformat(),
            "period_end": run.period_end.astimezone(DIGEST_TIMEZONE).isoformat(),
            "members": run.members,
            "sent": run.sent,
            "empty": run.empty,
            "failed": run.failed,
            "unsubscribed": run.unsubscribed,
        }
        if as_json:
            self.stdout.write(_dumps(counts))
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"{frequency} digests {_period(run.period_start, run.period_end)}: {run.members} member(s), sent {run.sent}, "
                f"empty {run.empty}, failed {run.failed}, unsubscribed {run.unsubscribed}"
            )
        )


def _parse_now(value: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(f"--now: {value!r} is not an ISO date-time (e.g. 2026-11-21T07:00 or 2026-11-21T07:00+09:00).") from None
    return timezone.make_aware(moment, DIGEST_TIMEZONE) if timezone.is_naive(moment) else moment


def _period(start: datetime.datetime, end: datetime.datetime) -> str:
    return f"{start.astimezone(DIGEST_TIMEZONE):%Y-%m-%d %H:%M}–{end.astimezone(DIGEST_TIMEZONE):%Y-%m-%d %H:%M}"


def _entry_json(entry) -> dict:
    return {
        "key": entry.key,
        "type": entry.type,
        "title": entry.title,
        "region": entry.region,
        "reasons": [reason.text for reason in entry.reasons],
    }


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)
