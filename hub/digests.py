"""Digest e-mails: what each member missed, once per period, sent exactly once where SMTP allows (DESIGN.md §3, §5).

    digest_run(frequency) ─ drain the search outbox (everything published before the cut-off is in the index)
       └─ members with that frequency, 200 at a time ─ members_matches_batches (hub/matching.py, batched queries;
            the next batch is with the index while this one is built and sent)
            └─ per member, one transaction: Digest (+ DigestItems + DigestSentItems), or an EMPTY Digest
       └─ send each PENDING Digest from its stored items (HTML + text, the member's language, RFC 8058 headers)
            └─ SENT; recipient refused: BOUNCED; any other failure: FAILED with the error, sent by the next run

Periods end at 07:00 Asia/Seoul: a daily digest covers [yesterday 07:00, today 07:00), a weekly one [the Monday
before 07:00, this Monday 07:00). A run that crashes and runs again skips what it built and sent, and sends what it
built and did not send; the unique Digest row per (member, frequency, period) makes that safe, and DigestSentItem
keeps any document from reaching the same member twice.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import smtplib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hub.interests import interests_ensure
from hub.matching import GROUP_TYPE, MatchBatch, MatchEntry, members_matches_batches, place_label, stored_reason_text
from hub.models import Digest, DigestFrequency, DigestItem, DigestRun, DigestSentItem, Member, MemberInterests

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
    return digest_plans(members=[member], frequency=frequency, now=now or timezone.now())[member.pk]


def digest_plans(*, members: Sequence[Member], frequency: str, now: datetime.datetime) -> dict[int, DigestPlan]:
    """`digest_preview` for many members at once: batched matching, one query per batch for what each was sent."""
    members = list(members)
    batches = (members[offset : offset + MEMBER_BATCH] for offset in range(0, len(members), MEMBER_BATCH))
    plans: dict[int, DigestPlan] = {}
    for _batch, batch_plans in digest_plans_batches(batches, frequency=frequency, now=now):
        plans.update(batch_plans)
    return plans


def digest_plans_batches(
    member_batches: Iterable[list[Member]], *, frequency: str, now: datetime.datetime, skip_built: bool = False
) -> Iterator[tuple[list[Member], dict[int, DigestPlan]]]:
    """`digest_plans` batch by batch, in order: each batch of members with the plans of its members; the next batch
    is matched while the caller builds and sends this one (hub.matching.members_matches_batches). `skip_built`: no
    plan for a member who has a digest for the period already (a run repeated after a crash)."""
    start, end = digest_period(frequency=frequency, now=now)

    def batches() -> Iterator[MatchBatch]:
        for members in member_batches:
            todo = members
            if skip_built:
                built = set(
                    Digest.objects.filter(member__in=members, frequency=frequency, period_start=start).values_list("member_id", flat=True)
                )
                todo = [member for member in members if member.pk not in built]
            sent: dict[int, set[str]] = {member.pk: set() for member in todo}
            for member_id, document_id in DigestSentItem.objects.filter(member__in=todo).values_list("member_id", "document_id"):
                sent[member_id].add(document_id)
            yield MatchBatch(members=todo, exclude_documents=sent, context=members)

    for batch, matches in members_matches_batches(batches(), since=start, until=end, limit=CANDIDATES):
        plans = {}
        for member in batch.members:
            sent = batch.exclude_documents[member.pk]
            fresh = [entry for entry in matches[member.pk] if not set(entry_documents(entry)) & sent]
            plans[member.pk] = DigestPlan(
                frequency=frequency, period_start=start, period_end=end, entries=entries_rank(fresh, start=start, end=end)
            )
        yield batch.context, plans


def entry_documents(entry: MatchEntry) -> tuple[str, ...]:
    """The index documents an entry stands for: its own id, or every post of a group."""
    if entry.document_ids:
        return tuple(entry.document_ids)
    return () if entry.type == GROUP_TYPE else (entry.key,)


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


# Unsubscribing -----------------------------------------------------------------------------------------------------


class DigestTokenError(ValueError):
    """An unsubscribe link that was not made by this hub, was altered, or names a member who no longer exists."""


def digest_unsubscribe_token(*, member: Member) -> str:
    return signing.dumps(member.pk, salt=UNSUBSCRIBE_SALT)


def digest_unsubscribe_url(*, member: Member) -> str:
    return settings.HUB_BASE_URL + reverse("hub:digest_unsubscribe", args=[digest_unsubscribe_token(member=member)])


def digest_preferences_url() -> str:
    return f"{settings.HUB_BASE_URL}{reverse('hub:settings')}#interests"


def digest_token_member(*, token: str) -> Member:
    """The member an unsubscribe token was made for. Raises DigestTokenError."""
    try:
        member_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        raise DigestTokenError(_("이 수신 거부 링크는 올바르지 않습니다. 메일에 있는 링크를 그대로 열어 주세요.")) from None
    member = Member.objects.select_related("user").filter(pk=member_id).first() if isinstance(member_id, int) else None
    if member is None:
        raise DigestTokenError(_("이 수신 거부 링크의 계정을 찾을 수 없습니다."))
    return member


def digest_unsubscribe(*, member: Member) -> bool:
    """Turn the member's digests off; False when they were off already (a second click changes nothing)."""
    with transaction.atomic():
        interests = interests_ensure(member=member)
        interests = MemberInterests.objects.select_for_update().get(pk=interests.pk)
        if interests.digest_frequency == DigestFrequency.OFF:
            return False
        interests.digest_frequency = DigestFrequency.OFF
        interests.save(update_fields=["digest_frequency", "updated_at"])
    logger.info("member %s unsubscribed from digests", member.pk)
    return True


# Building ----------------------------------------------------------------------------------------------------------


def digest_recipients(*, frequency: str, member_emails: Iterable[str] | None = None):
    """Approved members of active accounts with an e-mail address who chose `frequency`, by pk."""
    _frequency_check(frequency)
    members = (
        Member.objects.filter(is_approved=True, user__is_active=True, interests__digest_frequency=frequency)
        .exclude(user__email="")
        .order_by("pk")
    )
    if member_emails is not None:
        wanted = Q(pk__in=[])
        for address in member_emails:
            wanted |= Q(user__email__iexact=address.strip())
        members = members.filter(wanted)
    return members


def digest_build(*, member: Member, plan: DigestPlan, run: DigestRun | None = None) -> Digest | None:
    """Record the member's digest for the plan's period in one transaction: the Digest (PENDING, or EMPTY when there
    is nothing to say), its items and what it sends. None when the member has one for that period already."""
    entries = plan.entries
    with translation.override(member.language):
        items = [
            DigestItem(
                position=position,
                key=entry.key[:80],
                type=entry.type,
                title=entry.title[:300],
                url=entry.url[:500],
                region=entry.region[:10],
                municipality=entry.municipality[:40],
                reasons=[reason.as_dict() for reason in entry.reasons],
                count=entry.count,
                document_ids=list(entry_documents(entry)),
                published_at=entry.published_at,
                score=entry.score,
            )
            for position, entry in enumerate(entries, start=1)
        ]
    try:
        with transaction.atomic():
            digest = Digest.objects.create(
                member=member,
                run=run,
                frequency=plan.frequency,
                period_start=plan.period_start,
                period_end=plan.period_end,
                status=Digest.Status.PENDING if items else Digest.Status.EMPTY,
                language=member.language,
            )
            for item in items:
                item.digest = digest
            DigestItem.objects.bulk_create(items)
            documents = dict.fromkeys(document for item in items for document in item.document_ids)
            DigestSentItem.objects.bulk_create(
                [DigestSentItem(member=member, document_id=document, digest=digest) for document in documents], ignore_conflicts=True
            )
    except IntegrityError:  # another run built this member's digest for the period first
        return None
    return digest


# Sending -----------------------------------------------------------------------------------------------------------


def digest_message(*, digest: Digest, connection=None) -> EmailMultiAlternatives:
    """The e-mail of a stored digest, HTML and plain text, in the member's language, with one-click unsubscribe."""
    from search.labels import label_for

    member = digest.member
    unsubscribe_url = digest_unsubscribe_url(member=member)
    with translation.override(member.language):
        items = [_item_context(item, label_for) for item in digest.items.all()]
        count = len(items)
        if digest.frequency == DigestFrequency.DAILY:
            subject = ngettext("[가치허브] 오늘의 새 소식 %(count)s건", "[가치허브] 오늘의 새 소식 %(count)s건", count) % {"count": count}
        else:
            subject = ngettext("[가치허브] 이번 주 새 소식 %(count)s건", "[가치허브] 이번 주 새 소식 %(count)s건", count) % {"count": count}
        context = {
            "member": member,
            "digest": digest,
            "items": items,
            "subject": subject,
            "base_url": settings.HUB_BASE_URL,
            "preferences_url": digest_preferences_url(),
            "unsubscribe_url": unsubscribe_url,
        }
        text = render_to_string("hub/email/digest.txt", context)
        html = render_to_string("hub/email/digest.html", context)
    headers = {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",  # RFC 8058: mail clients POST to the link above
        "Auto-Submitted": "auto-generated",
        "Message-ID": digest_message_id(digest=digest),
    }
    message = EmailMultiAlternatives(subject, text, to=[member.user.email], headers=headers, connection=connection)
    message.attach_alternative(html, "text/html")
    return message


def digest_message_id(*, digest: Digest) -> str:
    """The same on every attempt: a digest sent again after a crash between the server's acceptance and SENT being
    recorded (the one gap SMTP leaves) is the same message to mail systems that recognise repeats."""
    domain = urlsplit(settings.HUB_BASE_URL).hostname or "gachi.example"
    return f"<digest-{digest.pk}.{digest.frequency}.{digest.period_start:%Y%m%d}@{domain}>"


def _item_context(item: DigestItem, label_for) -> dict:
    """One entry as the templates show it, labels in the active language."""
    place = place_label(region=item.region, municipality=item.municipality)
    if item.type == GROUP_TYPE:
        type_label = _("커뮤니티 새 글")
        count_label = _("새 글 %(count)s건") % {"count": item.count}
    else:
        type_label, count_label = label_for("type", item.type), ""
    url = item.url if item.url.startswith(("http://", "https://")) else f"{settings.HUB_BASE_URL}{item.url}"
    return {
        "title": item.title,
        "url": url,
        "place": place,
        "type": type_label,
        "count": count_label,
        "reasons": [stored_reason_text(reason) for reason in item.reasons],
        "published_at": item.published_at,
    }


def digest_send(*, digest: Digest, connection=None) -> str:
    """Send a PENDING or FAILED digest and record how it went; returns its status afterwards.

    The attempt is claimed first (attempts goes up only if nobody else claimed it), so two runs never send one
    digest at once. A refused recipient makes it BOUNCED (not tried again); any other failure FAILED with the error
    (the next run tries again)."""
    claimed = Digest.objects.filter(
        pk=digest.pk, status__in=[Digest.Status.PENDING, Digest.Status.FAILED], attempts=digest.attempts
    ).update(attempts=F("attempts") + 1)
    if not claimed:
        digest.refresh_from_db()
        return digest.status
    digest.attempts += 1
    message = digest_message(digest=digest, connection=connection)
    digest.language = digest.member.language
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as error:
        digest.status, digest.error = Digest.Status.BOUNCED, _smtp_error(error)
        logger.warning("digest %s bounced: %s", digest.pk, digest.error)
    except Exception as error:  # noqa: BLE001 - whatever the server or the network did, the next run tries again
        digest.status, digest.error = Digest.Status.FAILED, f"{type(error).__name__}: {error}"[:2000]
        logger.warning("digest %s failed: %s", digest.pk, digest.error)
    else:
        digest.status, digest.error, digest.sent_at = Digest.Status.SENT, "", timezone.now()
        digest.message_id = message.extra_headers["Message-ID"][:255]
    digest.save(update_fields=["status", "error", "sent_at", "message_id", "language"])
    return digest.status


def _smtp_error(error: smtplib.SMTPRecipientsRefused) -> str:
    parts = []
    for address, (code, reply) in error.recipients.items():
        reply = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        parts.append(f"{address}: {code} {reply}")
    return "; ".join(parts)[:2000]


# Running -----------------------------------------------------------------------------------------------------------


def digest_run(*, frequency: str, now: datetime.datetime | None = None, member_emails: Iterable[str] | None = None) -> DigestRun:
    """Build and send the digests of `frequency` for the last period that ended by `now`; safe to repeat.

    Members with a digest for the period are skipped, except that a PENDING one (built, not sent: a crash) or a
    FAILED one is sent from its stored items. Raises search.service.SearchUnavailable when the index cannot be brought
    up to date or cannot answer, OSError when the mail server cannot be reached: the digests built so far stay and
    the next attempt sends them."""
    from search.backends import SearchUnavailable
    from search.indexing import outbox_drain_all

    _frequency_check(frequency)
    now = now or timezone.now()
    start, end = digest_period(frequency=frequency, now=now)
    drained = outbox_drain_all()  # everything published before the cut-off must be in the index
    if drained.failed:
        raise SearchUnavailable(drained.error or "the search outbox could not be drained")
    emails = list(member_emails) if member_emails is not None else None
    recipients = digest_recipients(frequency=frequency, member_emails=emails)
    member_ids = list(recipients.values_list("pk", flat=True))
    run = DigestRun.objects.create(frequency=frequency, period_start=start, period_end=end, members=len(member_ids))
    connection = get_connection()
    batches = (
        list(Member.objects.filter(pk__in=member_ids[offset : offset + MEMBER_BATCH]).select_related("user").order_by("pk"))
        for offset in range(0, len(member_ids), MEMBER_BATCH)
    )
    try:
        for batch, plans in digest_plans_batches(batches, frequency=frequency, now=now, skip_built=True):
            _batch_build(run=run, members=batch, plans=plans)
            _batch_send(run=run, members=batch, frequency=frequency, now=now, connection=connection)
        _drop_unsubscribed(run=run, frequency=frequency, now=now, member_ids=member_ids, member_emails=emails)
        run.finished_at = timezone.now()
    finally:
        with contextlib.suppress(Exception):
            connection.close()
        run.save(update_fields=["sent", "empty", "failed", "unsubscribed", "finished_at"])
    logger.info(
        "digest run %s (%s %s–%s): %s members, sent %s, empty %s, failed %s, unsubscribed %s",
        run.pk, frequency, start.isoformat(), end.isoformat(), run.members, run.sent, run.empty, run.failed, run.unsubscribed,
    )  # fmt: skip
    return run


def _batch_build(*, run: DigestRun, members: list[Member], plans: dict[int, DigestPlan]) -> None:
    for member in members:
        if member.pk not in plans:
            continue  # built by an earlier attempt
        digest = digest_build(member=member, plan=plans[member.pk], run=run)
        if digest is not None and digest.status == Digest.Status.EMPTY:
            run.empty += 1


def _unsent(*, frequency: str, now: datetime.datetime):
    """Digests of `frequency` still to send: PENDING or FAILED, recent, not tried too often."""
    return Digest.objects.filter(
        frequency=frequency,
        status__in=[Digest.Status.PENDING, Digest.Status.FAILED],
        attempts__lt=MAX_ATTEMPTS,
        period_end__gt=now - RETRY_WINDOW,
        period_end__lte=now,
    )


def _batch_send(*, run: DigestRun, members: list[Member], frequency: str, now: datetime.datetime, connection) -> None:
    digests = list(
        _unsent(frequency=frequency, now=now)
        .filter(member__in=members)
        .select_related("member__user")
        .prefetch_related("items")
        .order_by("member_id", "period_start")
    )
    if not digests:
        return
    # Asked again just before sending: a member who unsubscribed while the run was building gets nothing.
    still = set(MemberInterests.objects.filter(member__in=members, digest_frequency=frequency).values_list("member_id", flat=True))
    connection.open()  # the server unreachable: OSError, the task retries and sends these then
    for digest in digests:
        if digest.member_id not in still:
            digest.delete()  # never sent: its items may reach the member again if they subscribe again
            run.unsubscribed += 1
            continue
        status = digest_send(digest=digest, connection=connection)
        if status == Digest.Status.SENT:
            run.sent += 1
        elif status in (Digest.Status.FAILED, Digest.Status.BOUNCED):
            run.failed += 1
            if status == Digest.Status.FAILED:
                with contextlib.suppress(Exception):
                    connection.close()
                connection.open()


def _drop_unsubscribed(
    *, run: DigestRun, frequency: str, now: datetime.datetime, member_ids: list[int], member_emails: list[str] | None
) -> None:
    """Unsent digests of members who no longer receive this frequency (unsubscribed, changed it, left) go away."""
    stale = _unsent(frequency=frequency, now=now).exclude(member_id__in=member_ids)
    if member_emails is not None:
        wanted = Q(pk__in=[])
        for address in member_emails:
            wanted |= Q(member__user__email__iexact=address.strip())
        stale = stale.filter(wanted)
    stale_ids = list(stale.values_list("pk", flat=True))
    if stale_ids:
        Digest.objects.filter(pk__in=stale_ids).delete()  # with their items and sent-items: nothing of them was sent
        run.unsubscribed += len(stale_ids)
