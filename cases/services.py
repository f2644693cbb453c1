"""Writes on cases: project log entries (which can move a case's stage)."""

from __future__ import annotations

import datetime

from django.db import transaction
from wagtail.models import Revision

from cases.models import CaseStudyPage, ProjectLogEntry, Stage


@transaction.atomic
def log_entry_create(
    *, case: CaseStudyPage, author, date: datetime.date, kind: str, title: str, body: str = "", new_stage: Stage | None = None
) -> ProjectLogEntry:
    entry = ProjectLogEntry(case=case, author=author, date=date, kind=kind, title=title, body=body)
    if kind == ProjectLogEntry.Kind.STAGE_CHANGE and new_stage is not None:
        entry.previous_stage = case.stage
        entry.new_stage = new_stage
        case_stage_set(case=case, stage=new_stage)
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def log_entry_update(
    *, entry: ProjectLogEntry, date: datetime.date, kind: str, title: str, body: str, new_stage: Stage | None
) -> ProjectLogEntry:
    entry.date, entry.kind, entry.title, entry.body = date, kind, title, body
    if kind == ProjectLogEntry.Kind.STAGE_CHANGE and new_stage is not None and new_stage != entry.new_stage:
        entry.previous_stage = entry.previous_stage or entry.case.stage
        entry.new_stage = new_stage
        case_stage_set(case=entry.case, stage=new_stage)
    elif kind != ProjectLogEntry.Kind.STAGE_CHANGE:
        entry.new_stage = None
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def log_entry_delete(*, entry: ProjectLogEntry) -> None:
    entry.delete()


def case_stage_set(*, case: CaseStudyPage, stage: Stage) -> None:
    """Move a case to a stage without publishing anyone's pending draft.

    The live row is updated, and so is the stored content of the latest revision, because the admin editor opens
    the latest revision: otherwise the next save in the editor would quietly move the stage back.
    """
    CaseStudyPage.objects.filter(pk=case.pk).update(stage=stage)
    case.stage = stage
    latest = Revision.page_revisions.filter(object_id=str(case.pk)).order_by("-created_at", "-id").first()
    if latest is not None:
        latest.content["stage"] = stage.pk
        latest.save(update_fields=["content"])
