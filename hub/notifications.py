"""In-app notifications: the member's peer matches (hub/matching.py) kept as one row per entry key.

`notifications_refresh` matches the window since the member was last notified and upserts `Notification` rows by
key: a new key is a new unread row; new activity on a known key (a document the row does not stand for yet, or a
later publication) updates it and makes it unread again; what was already seen changes nothing, so a window that
overlaps the previous one never duplicates. In-app notifications are independent of the digest e-mail: members whose
digest frequency is "off" get them too.

Reads for the pages (the list, the unread count of the header badge, the Atom feed behind a secret token) and the
writes of the member's own actions (mark read, mark all read, a new feed token) live here too.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hub.interests import interests_ensure
from hub.matching import GROUP_TYPE, Reason, member_matches, members_matches, place_label, stored_reason_text
from hub.models import Member, MemberInterests, Notification
from hub.models.interests import new_feed_token

logger = logging.getLogger(__name__)

# A member never notified before gets the last week.
FIRST_WINDOW = datetime.timedelta(days=7)
# Each window starts a little before the previous one ended: a document saved just before a refresh may reach the
# index just after it (the outbox drains after commit). Matching it twice is harmless, the upsert keeps one row.
INDEXING_LAG = datetime.timedelta(minutes=10)
# Opening the notifications page brings them up to date, at most this often (the beat does it every 15 minutes).
PAGE_REFRESH_INTERVAL = datetime.timedelta(minutes=1)
MATCH_LIMIT = 50
REFRESH_BATCH_SIZE = 100
# A busy community group would otherwise grow its document list forever; the newest ones are what matter.
DOCUMENT_IDS_MAX = 500


# Refresh -----------------------------------------------------------------------------------------------------------


def notification_window(*, interests: MemberInterests, now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """[since, until) for the member's next refresh: from where the last one ended (less the indexing lag), at most
    FIRST_WINDOW back."""
    earliest = now - FIRST_WINDOW
    if interests.notified_until is None:
        return earliest, now
    return max(earliest, min(interests.notified_until, now) - INDEXING_LAG), now


def _reason_dicts(reasons: Iterable[Reason]) -> list[dict]:
    return [reason.as_dict() for reason in reasons]


def _merged_reasons(new: list[dict], old: list[dict]) -> list[dict]:
    """The entry's reasons first, then the row's earlier ones it does not repeat (by code and value)."""
    seen, merged = set(), []
    for reason in [*new, *old]:
        marker = (reason.get("code"), reason.get("value"))
        if marker not in seen:
            seen.add(marker)
            merged.append(reason)
    return merged


def notification_key(entry) -> str:
    """The row key of an entry: its document id, or for a group of posts "community_activity:<pk>" (hub/matching.py)."""
    return entry.key


def notifications_apply(*, member: Member, entries, now: datetime.datetime) -> int:
    """Upsert the member's notifications from match entries; the number created or made unread by new activity."""
    if not entries:
        return 0
    keys = [notification_key(entry) for entry in entries]
    existing = {row.key: row for row in Notification.objects.filter(member=member, key__in=keys)}
    created, updated = [], []
    for key, entry in zip(keys, entries, strict=True):
        document_ids = list(entry.document_ids or (entry.key,))
        activity_at = min(entry.published_at or now, now)
        row = existing.get(key)
        if row is None:
            row = Notification(
                member=member,
                key=key,
                type=entry.type,
                title=entry.title[:300],
                url=entry.url[:500],
                region=entry.region,
                municipality=entry.municipality,
                reasons=_reason_dicts(entry.reasons),
                count=max(entry.count, 1),
                document_ids=document_ids[-DOCUMENT_IDS_MAX:],
                published_at=entry.published_at,
                updated_at=activity_at,
            )
            existing[key] = row
            created.append(row)
            continue
        known = set(row.document_ids)
        new_ids = [document_id for document_id in document_ids if document_id not in known]
        later = entry.published_at is not None and (row.published_at is None or entry.published_at > row.published_at)
        if not new_ids and not later:
            continue  # seen already (an overlapping window, or a second refresh): nothing new to tell
        # An unread row adds the new activity to what is waiting; a read one starts again from the new activity.
        row.count = max(len(new_ids) + (row.count if row.is_unread else 0), 1)
        row.document_ids = [*row.document_ids, *new_ids][-DOCUMENT_IDS_MAX:]
        row.reasons = _merged_reasons(_reason_dicts(entry.reasons), row.reasons)
        row.type, row.title, row.url = entry.type, entry.title[:300], entry.url[:500]
        row.region, row.municipality = entry.region, entry.municipality
        if later:
            row.published_at = entry.published_at
        row.updated_at = max(activity_at, row.updated_at)
        row.read_at = None
        if row.pk is not None and row not in updated:
            updated.append(row)
    Notification.objects.bulk_create(created)
    fields = ["count", "document_ids", "reasons", "type", "title", "url", "region", "municipality", "published_at", "updated_at", "read_at"]
    Notification.objects.bulk_update(updated, fields)
    return len(created) + len(updated)


def _advance(interests: MemberInterests, now: datetime.datetime) -> None:
    # update(): the interests' own updated_at is the member's last edit, not this bookkeeping.
    until = max(interests.notified_until, now) if interests.notified_until else now
    MemberInterests.objects.filter(pk=interests.pk).update(notified_until=until)
    interests.notified_until = until


def notifications_refresh(*, member: Member, now: datetime.datetime | None = None) -> int:
    """Match the member's window and upsert their notifications; moves `notified_until` to `now`.

    Returns how many notifications are new or unread again. Raises search.service.SearchUnavailable (nothing
    changes then, and the next refresh covers the same window)."""
    now = now or timezone.now()
    interests_ensure(member=member)
    with transaction.atomic():
        # One refresh per member at a time (the beat and the member's own page may meet).
        interests = MemberInterests.objects.select_for_update().get(member=member)
        since, until = notification_window(interests=interests, now=now)
        with translation.override(member.language):
            entries = member_matches(member, since=since, until=until, limit=MATCH_LIMIT)
            changed = notifications_apply(member=member, entries=entries, now=now)
        _advance(interests, now)
    return changed


@dataclass
class NotificationRefreshReport:
    members: int = 0
    changed: int = 0


def notification_members() -> QuerySet[Member]:
    """Who gets in-app notifications: approved members with an active account, whatever their digest frequency."""
    return Member.objects.filter(is_approved=True, user__is_active=True).select_related("user", "place").order_by("pk")


def notifications_refresh_all(*, now: datetime.datetime | None = None, batch_size: int = REFRESH_BATCH_SIZE) -> NotificationRefreshReport:
    """`notifications_refresh` for every approved active member, `batch_size` at a time, with batched matching.

    Members of a batch whose windows start at the same moment (after one run, all of them) share one
    `members_matches` call. A batch is one transaction: a search outage stops the run with the batches before it
    kept and the rest unchanged (the task retries)."""
    now = now or timezone.now()
    report = NotificationRefreshReport()
    missing = notification_members().filter(interests__isnull=True)
    for member in missing.iterator():
        interests_ensure(member=member)
    last_pk = 0
    while True:
        batch = list(notification_members().filter(pk__gt=last_pk)[:batch_size])
        if not batch:
            break
        last_pk = batch[-1].pk
        report.members += len(batch)
        report.changed += _refresh_batch(batch, now=now)
    logger.info("notifications refreshed for %d members, %d new or unread again", report.members, report.changed)
    return report


def _refresh_batch(batch: list[Member], *, now: datetime.datetime) -> int:
    changed = 0
    with transaction.atomic():
        interests = {row.member_id: row for row in MemberInterests.objects.select_for_update().filter(member__in=batch)}
        windows: dict[tuple, list[Member]] = defaultdict(list)
        for member in batch:
            windows[notification_window(interests=interests[member.pk], now=now)].append(member)
        for (since, until), members in windows.items():
            matches = members_matches(members, since=since, until=until, limit=MATCH_LIMIT)
            for member in members:
                with translation.override(member.language):
                    changed += notifications_apply(member=member, entries=matches.get(member.pk, []), now=now)
        for member in batch:
            _advance(interests[member.pk], now)
    return changed


def notifications_refresh_if_stale(*, member: Member, now: datetime.datetime | None = None) -> bool:
    """Refresh when the last one is older than PAGE_REFRESH_INTERVAL; whether it ran. Raises SearchUnavailable."""
    now = now or timezone.now()
    notified_until = MemberInterests.objects.filter(member=member).values_list("notified_until", flat=True).first()
    if notified_until is not None and now - notified_until < PAGE_REFRESH_INTERVAL:
        return False
    notifications_refresh(member=member, now=now)
    return True


# Reads -------------------------------------------------------------------------------------------------------------


def notifications_of(*, member: Member) -> QuerySet[Notification]:
    """The member's notifications, newest activity first."""
    return Notification.objects.filter(member=member).order_by("-updated_at", "-pk")


def notifications_unread_count(*, member: Member) -> int:
    return Notification.objects.filter(member=member, read_at__isnull=True).count()


def reason_texts(reasons: list) -> list[str]:
    """Stored reasons as sentences in the active language (hub/matching.py stored_reason_text)."""
    return [text for text in (stored_reason_text(reason) for reason in reasons or []) if text]


def notification_type_label(notification_type: str) -> str:
    from search.service import DOCUMENT_TYPES

    if notification_type == GROUP_TYPE:
        return _("커뮤니티 새 글")
    return str(DOCUMENT_TYPES.get(notification_type, notification_type))


def notification_place_label(*, region: str, municipality: str) -> str:
    return place_label(region=region, municipality=municipality)


def notification_safe_url(url: str) -> str:
    """The stored link if it is a path on the hub; the home page otherwise (never an open redirect)."""
    return url if url.startswith("/") and not url.startswith(("//", "/\\")) else "/"


def notification_describe(notification: Notification) -> Notification:
    """Attach what the templates and the feed show: reason sentences, type and place labels, the safe link."""
    notification.reason_texts = reason_texts(notification.reasons)
    notification.type_label = notification_type_label(notification.type)
    notification.place_label = notification_place_label(region=notification.region, municipality=notification.municipality)
    notification.safe_url = notification_safe_url(notification.url)
    return notification


def feed_member_get(*, token: str) -> Member | None:
    """The approved, active member whose notification feed this token opens; None for anything else."""
    if not token or len(token) > 64:
        return None
    interests = (
        MemberInterests.objects.filter(feed_token=token, member__is_approved=True, member__user__is_active=True)
        .select_related("member__user")
        .first()
    )
    return interests.member if interests else None


# The member's own actions --------------------------------------------------------------------------------------------


def notification_mark_read(*, member: Member, notification_id: int, now: datetime.datetime | None = None) -> Notification | None:
    """Mark one of the member's own notifications read; None if there is no such notification of theirs."""
    notification = Notification.objects.filter(member=member, pk=notification_id).first()
    if notification is None:
        return None
    if notification.read_at is None:
        notification.read_at = now or timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
    return notification


def notifications_mark_all_read(*, member: Member, now: datetime.datetime | None = None) -> int:
    """Mark every unread notification of the member read; how many were unread."""
    return Notification.objects.filter(member=member, read_at__isnull=True).update(read_at=now or timezone.now())


def feed_token_rotate(*, member: Member) -> str:
    """A new secret for the member's notification feed; the old feed URL stops working at once."""
    interests = interests_ensure(member=member)
    interests.feed_token = new_feed_token()
    MemberInterests.objects.filter(pk=interests.pk).update(feed_token=interests.feed_token)
    return interests.feed_token
