"""Outbox → index: the indexer that loses nothing (DESIGN.md §3).

    change (any transaction) ── outbox_record ──> IndexOutboxEntry rows, committed with the change
       └─ on commit ─> Celery search_outbox_drain ─> outbox_drain: build each document from the database as it is
          now, analyse its text (once; unchanged text keeps its stored terms), store it (SearchDocument), bulk-send
          it to the backend, delete the rows. Backend down: the rows stay, with a later next_attempt_at; the beat
          task drains them when the node is back.

Each write carries a version (the newest outbox row id it covers), so a late, older write never overwrites a newer
one, in the stored documents as in the index. `index_rebuild` (manage.py search_reindex) refreshes the stored
documents, fills a fresh index and swaps it in, then replays what changed meanwhile.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from .backends import SearchUnavailable, get_backend
from .documents import TYPES, documents_for, parse_doc_id, searchable_pks, searchable_querysets, with_terms, with_terms_batch
from .models import IndexOutboxEntry, SearchDocument

logger = logging.getLogger(__name__)

DRAIN_BATCH = 500
RETRY_BASE_SECONDS = 5
RETRY_MAX_SECONDS = 600
REFRESH_CHUNK = 500


@dataclass
class DrainReport:
    indexed: int = 0
    deleted: int = 0
    failed: int = 0  # outbox rows left for a later attempt
    error: str = ""


# Recording ------------------------------------------------------------------------------------------------------


def outbox_record(doc_ids: Iterable[str]) -> None:
    """Note, in the current transaction, that these documents may have changed; drain once it commits."""
    rows = [IndexOutboxEntry(doc_id=doc_id) for doc_id in dict.fromkeys(doc_ids)]
    if not rows:
        return
    IndexOutboxEntry.objects.bulk_create(rows)
    if not any(callback is _queue_drain for _sids, callback, _robust in connection.run_on_commit):
        transaction.on_commit(_queue_drain, robust=True)


def _queue_drain() -> None:
    from .tasks import search_outbox_drain_task

    try:
        search_outbox_drain_task.delay()
    except Exception:  # the broker is down: the rows are committed and the beat task drains them later
        logger.warning("could not queue search_outbox_drain; the scheduled drain will index the change", exc_info=True)


# Draining -------------------------------------------------------------------------------------------------------


def outbox_drain(*, limit: int = DRAIN_BATCH) -> DrainReport:
    """Index one batch of due outbox rows. Safe to run concurrently and to repeat."""
    now = timezone.now()
    with transaction.atomic():
        due = IndexOutboxEntry.objects.filter(next_attempt_at__lte=now).order_by("id")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        rows = list(due[:limit])
        if not rows:
            return DrainReport()
        versions: dict[str, int] = {}
        for row in rows:
            versions[row.doc_id] = max(row.pk, versions.get(row.doc_id, 0))
        upserts, deletes = _documents_store(versions)
        try:
            get_backend().bulk(upserts, deletes)
        except SearchUnavailable as error:
            _postpone(rows, now, str(error))
            return DrainReport(failed=len(rows), error=str(error))
        IndexOutboxEntry.objects.filter(pk__in=[row.pk for row in rows]).delete()
    return DrainReport(indexed=len(upserts), deleted=len(deletes))


def outbox_drain_all(*, max_batches: int = 1_000) -> DrainReport:
    """Drain until nothing is due or the backend fails."""
    total = DrainReport()
    for _ in range(max_batches):
        report = outbox_drain()
        total.indexed += report.indexed
        total.deleted += report.deleted
        total.failed += report.failed
        total.error = report.error or total.error
        if report.failed or not (report.indexed or report.deleted):
            break
    return total


def _documents_store(versions: dict[str, int]) -> tuple[list[tuple[dict, int]], list[tuple[str, int]]]:
    """Build, analyse and store the documents for `versions`; return what to write to and delete from the index."""
    wanted: dict[str, list[int]] = defaultdict(list)
    for doc_id in versions:
        type_, pk = parse_doc_id(doc_id)
        wanted[type_].append(pk)
    built = {document["id"]: document for type_, pks in wanted.items() for document in documents_for(type_, pks).values()}
    stored = {d.doc_id: d for d in SearchDocument.objects.filter(doc_id__in=list(versions))}
    upserts, deletes = [], []
    for doc_id, version in versions.items():
        previous = stored.get(doc_id)
        if previous is not None and previous.version > version:
            version = previous.version  # a reindex stored a newer state; send that one
        if doc_id in built:
            document = with_terms(built[doc_id], previous.source if previous else None)
            upserts.append((document, version))
        else:
            deletes.append((doc_id, version))
    _save(upserts, deletes)
    return upserts, deletes


def _save(upserts: list[tuple[dict, int]], deletes: list[tuple[str, int]]) -> None:
    for document, version in upserts:
        SearchDocument.objects.update_or_create(
            doc_id=document["id"], defaults={"type": document["type"], "version": version, "source": document}
        )
    if deletes:
        SearchDocument.objects.filter(doc_id__in=[doc_id for doc_id, _ in deletes]).delete()


def _postpone(rows: list[IndexOutboxEntry], now: datetime.datetime, error: str) -> None:
    for row in rows:
        row.attempts += 1
        delay = min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** (row.attempts - 1))
        row.next_attempt_at = now + datetime.timedelta(seconds=delay)
        row.last_error = error[:2000]
    IndexOutboxEntry.objects.bulk_update(rows, ["attempts", "next_attempt_at", "last_error"])
    logger.warning("search index unavailable; %d outbox rows postponed: %s", len(rows), error[:300])


def outbox_retry_now() -> int:
    """Make every postponed row due now (after an outage, from `search_status --retry`)."""
    return IndexOutboxEntry.objects.filter(next_attempt_at__gt=timezone.now()).update(next_attempt_at=timezone.now())


# Rebuilding -----------------------------------------------------------------------------------------------------


@dataclass
class RebuildReport:
    documents: int
    analysed: int
    removed: int
    caught_up: int


def index_rebuild(
    *, refresh_documents: bool = True, reanalyse: bool = False, on_progress: Callable[[str, int, int], None] | None = None
) -> RebuildReport:
    """Fill a fresh index from the stored documents and swap it in.

    `refresh_documents` first brings the stored documents up to date with the database (new and changed items are
    analysed, on every core; `reanalyse` analyses every one again, e.g. after a change to the analyser).
    """
    analysed = removed = 0
    if refresh_documents:
        analysed, removed = _documents_refresh(reanalyse=reanalyse, on_progress=on_progress)
    started = timezone.now()
    total = SearchDocument.objects.count()
    done = 0

    def moved(count: int) -> None:
        nonlocal done
        done += count
        if on_progress:
            on_progress("index", done, total)

    stored = SearchDocument.objects.order_by("doc_id").values_list("source", "version").iterator(chunk_size=2_000)
    count = get_backend().rebuild(stored, on_progress=moved)
    # What the drain stored while the new index filled went to the old one: send it to the new one too.
    changed = list(SearchDocument.objects.filter(updated_at__gte=started).values_list("source", "version"))
    if changed:
        get_backend().bulk(changed, [])
    return RebuildReport(documents=count, analysed=analysed, removed=removed, caught_up=len(changed))


def _documents_refresh(*, reanalyse: bool, on_progress) -> tuple[int, int]:
    version = max(IndexOutboxEntry.objects.aggregate(top=Max("id"))["top"] or 0, 1)
    analysed = 0
    keep: set[str] = set()
    for type_ in TYPES:
        pks = list(searchable_pks(type_))
        for start in range(0, len(pks), REFRESH_CHUNK):
            chunk = pks[start : start + REFRESH_CHUNK]
            documents = list(documents_for(type_, chunk).values())
            ids = [d["id"] for d in documents]
            previous = {} if reanalyse else dict(SearchDocument.objects.filter(doc_id__in=ids).values_list("doc_id", "source"))
            before = sum(1 for d in documents if d["id"] not in previous)
            with_terms_batch(documents, previous)
            analysed += before
            with transaction.atomic():
                for document in documents:
                    SearchDocument.objects.update_or_create(
                        doc_id=document["id"], defaults={"type": type_, "version": version, "source": document}
                    )
            keep.update(ids)
            if on_progress:
                on_progress(f"documents:{type_}", min(start + REFRESH_CHUNK, len(pks)), len(pks))
    # Compared in Python: `exclude(doc_id__in=...)` with 100,000 ids would exceed SQLite's parameter limit.
    stale = [doc_id for doc_id in SearchDocument.objects.values_list("doc_id", flat=True).iterator() if doc_id not in keep]
    for start in range(0, len(stale), REFRESH_CHUNK):
        SearchDocument.objects.filter(doc_id__in=stale[start : start + REFRESH_CHUNK]).delete()
    return analysed, len(stale)


# Status ---------------------------------------------------------------------------------------------------------


def index_status() -> dict:
    """Documents per type in the database, stored and in the index; the outbox backlog. Raises SearchUnavailable."""
    database = {type_: qs.count() for type_, qs in searchable_querysets().items()}
    stored = {type_: SearchDocument.objects.filter(type=type_).count() for type_ in TYPES}
    backlog = IndexOutboxEntry.objects.aggregate(oldest=Min("created_at"))
    status = {
        "backend": get_backend().name,
        "types": {type_: {"database": database[type_], "stored": stored[type_]} for type_ in TYPES},
        "outbox": {
            "pending": IndexOutboxEntry.objects.count(),
            "failing": IndexOutboxEntry.objects.filter(attempts__gt=0).count(),
            "oldest_pending": backlog["oldest"].isoformat() if backlog["oldest"] else None,
            "last_error": IndexOutboxEntry.objects.filter(attempts__gt=0).order_by("-id").values_list("last_error", flat=True).first()
            or "",
        },
    }
    try:
        indexed = get_backend().counts_by_type()
        status["available"] = True
    except SearchUnavailable as error:
        indexed, status["available"], status["error"] = {}, False, str(error)
    for type_ in TYPES:
        status["types"][type_]["index"] = indexed.get(type_, 0) if status["available"] else None
    return status
