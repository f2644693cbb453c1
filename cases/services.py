"""Writes on cases: project log entries (which can move a case's stage)."""

from __future__ import annotations

import datetime

from django.db import transaction
from wagtail.models import Revision

from cases.models import CaseStudyPage, ProjectLogEntry, Stage
from hub.pii_guard import PiiFieldFinding, pii_guard, pii_override_record


def _log_entry_pii_guard(*, title: str, body: str, user, override_reason: str) -> list[PiiFieldFinding]:
    """Raises PiiBlocked when the entry holds personal data (unless a curator overrides); see hub/pii_guard.py."""
    labels = {name: str(ProjectLogEntry._meta.get_field(name).verbose_name) for name in ("title", "body")}
    return pii_guard(fields={labels["title"]: title, labels["body"]: body}, user=user, override_reason=override_reason)


@transaction.atomic
def log_entry_create(
    *,
    case: CaseStudyPage,
    author,
    date: datetime.date,
    kind: str,
    title: str,
    body: str = "",
    new_stage: Stage | None = None,
    pii_override_reason: str = "",
) -> ProjectLogEntry:
    overridden = _log_entry_pii_guard(title=title, body=body, user=author, override_reason=pii_override_reason)
    entry = ProjectLogEntry(case=case, author=author, date=date, kind=kind, title=title, body=body)
    if kind == ProjectLogEntry.Kind.STAGE_CHANGE and new_stage is not None:
        entry.previous_stage = case.stage
        entry.new_stage = new_stage
        case_stage_set(case=case, stage=new_stage)
    entry.full_clean()
    entry.save()
    pii_override_record(findings=overridden, user=author, target=entry, subject=title, reason=pii_override_reason)
    return entry


@transaction.atomic
def log_entry_update(
    *,
    entry: ProjectLogEntry,
    date: datetime.date,
    kind: str,
    title: str,
    body: str,
    new_stage: Stage | None,
    by=None,
    pii_override_reason: str = "",
) -> ProjectLogEntry:
    """`by` is who edits (the author or a curator); only a curator's `pii_override_reason` lets personal data through."""
    overridden = _log_entry_pii_guard(title=title, body=body, user=by, override_reason=pii_override_reason)
    entry.date, entry.kind, entry.title, entry.body = date, kind, title, body
    if kind == ProjectLogEntry.Kind.STAGE_CHANGE and new_stage is not None and new_stage != entry.new_stage:
        entry.previous_stage = entry.previous_stage or entry.case.stage
        entry.new_stage = new_stage
        case_stage_set(case=entry.case, stage=new_stage)
    elif kind != ProjectLogEntry.Kind.STAGE_CHANGE:
        entry.new_stage = None
    entry.full_clean()
    entry.save()
    pii_override_record(findings=overridden, user=by, target=entry, subject=title, reason=pii_override_reason)
    return entry


@transaction.atomic
def log_entry_delete(*, entry: ProjectLogEntry) -> None:
    entry.delete()


def case_stage_set(*, case: CaseStudyPage, stage: Stage) -> None:
    """Move a case to a stage without publishing anyone's pending draft.

    The live row is updated, and so is the stored content of the latest revision, because the admin editor opens
    the latest revision: otherwise the next save in the editor would quietly move the stage back.
    """
    from search.indexing import outbox_record
    from search.signals import page_documents

    CaseStudyPage.objects.filter(pk=case.pk).update(stage=stage)
    case.stage = stage
    outbox_record(page_documents(case))  # `update()` sends no signal
    latest = Revision.page_revisions.filter(object_id=str(case.pk)).order_by("-created_at", "-id").first()
    if latest is not None:
        latest.content["stage"] = stage.pk
        latest.save(update_fields=["content"])
