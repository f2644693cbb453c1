"""Digest e-mails: what each member missed, once per period, sent exactly once where SMTP allows (DESIGN.md §3, §5).

    digest_run(frequency) ─ drain the search outbox (everything published before the cut-off is in the index)
       └─ members with that frequency, 200 at a time ─ members_matches (hub/matching.py, batched queries)
            └─ per member, one transaction: Digest (+ DigestItems + DigestSentItems), or an EMPTY Digest
       └─ send each PENDING Digest from its stored items (HTML + text, the member's language, RFC 8058 headers)
            └─ SENT; recipient refused: BOUNCED; any other failure: FAILED with the error, sent by the next run

Periods end at 07:00 Asia/Seoul: a daily digest covers [yesterday 07:00, today 07:00), a weekly one [the Monday
before 07:00, this Monday 07:00). A run that crashes and runs again skips what it built and sent, and sends what it
built and did not send; the unique Digest row per (member, frequency, period) makes that safe, and DigestSentItem
keeps any document from reaching the same member twice.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.utils import timezone, translation

from hub.matching import MatchEntry, member_matches
from hub.models import DigestFrequency, DigestSentItem, Member, MemberInterests

logger = logging.getLogger(__name__)

DIGEST_TIMEZONE = ZoneInfo("Asia/Seoul")
DIGEST_HOUR = 7
MAX_ITEMS = 20
# Asked of the matching beyond MAX_ITEMS, so that recency can lift a newer item over a slightly better older one.
CANDIDATES = 2 * MAX_ITEMS
MEMBER_BATCH = 200
# A PENDING or FAILED digest of an earlier period is still sent by later runs, up to this many attempts and this age.
MAX_ATTEMPTS = 5
RETRY_WINDOW = datetime.timedelta(days=7)
UNSUBSCRIBE_SALT = "hub.digest.unsubscribe"
PREFERENCES_PATH = "/accounts/settings/interests/"
FREQUENCIES = (DigestFrequency.DAILY, DigestFrequency.WEEKLY)


# Periods -----------------------------------------------------------------------------------------------------------


def digest_period(*, frequency: str, now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """The last period of `frequency` that ended at or before `now`, as [start, end) in Asia/Seoul.

    07:00:00 belongs to the period that starts then: an item published at 06:59:59 is in exactly one daily digest,
    one published at 07:00:00 in the next one."""
    _frequency_check(frequency)
    if timezone.is_naive(now):
        raise ValueError("digest_period needs an aware datetime")
    local = now.astimezone(DIGEST_TIMEZONE)
    day = local.date() if local.time() >= datetime.time(DIGEST_HOUR) else local.date() - datetime.timedelta(days=1)
    if frequency == DigestFrequency.WEEKLY:
        day -= datetime.timedelta(days=day.weekday())  # back to Monday
        start_day = day - datetime.timedelta(days=7)
    else:
        start_day = day - datetime.timedelta(days=1)
    at_seven = datetime.time(DIGEST_HOUR, tzinfo=DIGEST_TIMEZONE)
    return datetime.datetime.combine(start_day, at_seven), datetime.datetime.combine(day, at_seven)


def _frequency_check(frequency: str) -> None:
    if frequency not in FREQUENCIES:
        raise ValueError(f"digest frequency must be one of {', '.join(FREQUENCIES)}, not {frequency!r}")


# Preview -----------------------------------------------------------------------------------------------------------


@dataclass
class DigestPlan:
    """What a member's digest for one period holds (or would hold), best first."""

    frequency: str
    period_start: datetime.datetime
    period_end: datetime.datetime
    entries: list[MatchEntry] = field(default_factory=list)


def digest_preview(*, member: Member, frequency: str | None = None, now: datetime.datetime | None = None) -> DigestPlan:
    """What `member` would receive if their digest were built now, and why; writes nothing.

    `frequency` defaults to the member's own, or weekly when they receive none (a curator still sees what a weekly
    digest would say). Documents already sent to the member are left out, as the real digest leaves them out.
    Raises search.service.SearchUnavailable when the backend cannot answer."""
    if frequency is None:
        chosen = MemberInterests.objects.filter(member=member).values_list("digest_frequency", flat=True).first()
        frequency = chosen if chosen in FREQUENCIES else DigestFrequency.WEEKLY
    start, end = digest_period(frequency=frequency, now=now or timezone.now())
    sent = set(DigestSentItem.objects.filter(member=member).values_list("document_id", flat=True))
    with translation.override(member.language):
        entries = member_matches(member, since=start, until=end, exclude_documents=sent, limit=CANDIDATES)
    return DigestPlan(frequency=frequency, period_start=start, period_end=end, entries=entries_rank(entries, start=start, end=end))


def entries_rank(entries: Iterable[MatchEntry], *, start: datetime.datetime, end: datetime.datetime) -> list[MatchEntry]:
    """Newest-and-most-relevant first, at most MAX_ITEMS: the matching's score weighed by how late in the period
    the item came (an item from the period's last hour keeps its full score, one from its first hour half of it)."""
    span = (end - start).total_seconds() or 1.0

    def freshness(entry: MatchEntry) -> float:
        if entry.published_at is None:
            return 0.0
        return min(1.0, max(0.0, (entry.published_at - start).total_seconds() / span))

    def rank(entry: MatchEntry):
        published = entry.published_at.timestamp() if entry.published_at else 0.0
        return (-(entry.score * (0.5 + 0.5 * freshness(entry))), -published, entry.key)

    return sorted(entries, key=rank)[:MAX_ITEMS]
