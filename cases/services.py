"""Writes on cases: project log entries (which can move a case's stage); adoptions between municipalities."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from wagtail.models import Revision

from cases.models import Adoption, CaseIndexPage, CaseStudyPage, ProjectLogEntry, Stage
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


# Adoption: "우리 지자체도 도입했어요" -------------------------------------------------------------------------------

ADOPTION_NOTE_MAX_CHARS = 1000
ADOPTED_CASE_STAGE = "planning"  # a case started from another municipality's is being planned, not yet piloted


class AdoptionRefused(Exception):
    """Why an adoption cannot be recorded, in words the member reads (the view shows the message as it is)."""


def _adopting_place(*, source_case: CaseStudyPage, user):
    """The member's own local government, which is the one that adopts; refuses whoever may not record it."""
    from hub import permissions

    if not permissions.is_approved_member(user) or permissions.member_of(user) is None:
        raise AdoptionRefused(_("승인된 지자체 회원만 도입을 기록할 수 있습니다."))
    if not source_case.live or not source_case.is_visible_to(user):
        raise AdoptionRefused(_("공개된 사례만 도입으로 기록할 수 있습니다."))
    place = user.member.place
    if place.pk in source_case.place_ids():
        raise AdoptionRefused(_("우리 지자체가 주관하거나 참여한 사례는 도입으로 기록할 수 없습니다."))
    return place


def _adoption_index(*cases: CaseStudyPage | None) -> None:
    """Both ends of an adoption may show it; `Adoption` rows send no page signal, so note the documents here."""
    from search.indexing import outbox_record
    from search.signals import page_documents

    outbox_record([doc_id for case in cases if case is not None for doc_id in page_documents(case)])


@transaction.atomic
def adoption_record(*, source_case: CaseStudyPage, user, adopter_case: CaseStudyPage | None = None, note: str = "") -> Adoption:
    """Record that the member's local government adopted `source_case`, optionally as its own `adopter_case`.

    One adoption per (case, place): recording again returns the same row, linking `adopter_case` and keeping the
    note when they are given, so a second click or a later link to the write-up never duplicates anything.
    """
    place = _adopting_place(source_case=source_case, user=user)
    note = note.strip()
    if len(note) > ADOPTION_NOTE_MAX_CHARS:
        raise AdoptionRefused(_("메모는 %(max)d자 이내로 써 주세요.") % {"max": ADOPTION_NOTE_MAX_CHARS})
    if adopter_case is not None and place.pk not in adopter_case.place_ids():
        raise AdoptionRefused(_("우리 지자체가 주관하거나 참여한 사례만 도입 사례로 연결할 수 있습니다."))
    adoption, created = Adoption.objects.select_for_update().get_or_create(
        source_case=source_case,
        adopter_place=place,
        defaults={"adopter_case": adopter_case, "note": note, "created_by": user},
    )
    if not created:
        previous_case = adoption.adopter_case
        adoption.adopter_case = adopter_case or previous_case
        adoption.note = note or adoption.note
        adoption.save(update_fields=["adopter_case", "note"])
        if previous_case is not None and previous_case != adoption.adopter_case:
            _adoption_index(previous_case)
    _adoption_index(source_case, adoption.adopter_case)
    return adoption


@transaction.atomic
def adoption_case_start(*, source_case: CaseStudyPage, user) -> CaseStudyPage:
    """A new draft case for the official's local government, pre-filled from `source_case`, recorded as adopted
    from it. When the place already has its own case for this adoption, that case is returned instead of a second."""
    from hub import permissions

    place = _adopting_place(source_case=source_case, user=user)
    if not permissions.is_official(user):
        raise AdoptionRefused(_("지자체 담당자만 이 사례를 바탕으로 새 사례를 쓸 수 있습니다."))
    existing = Adoption.objects.filter(source_case=source_case, adopter_place=place, adopter_case__isnull=False).first()
    if existing is not None:
        return existing.adopter_case
    draft = CaseStudyPage(
        title=source_case.title,
        key=_adopted_case_key(source_case=source_case, place=place),
        language=source_case.language,
        summary=source_case.summary,
        problem=source_case.problem,
        solution=source_case.solution,
        lead_place=place,
        sector=source_case.sector,
        stage=Stage.objects.get(slug=ADOPTED_CASE_STAGE),
        start_year=timezone.localdate().year,
        owner=user,
        live=False,
    )
    draft.slug = draft.key
    draft.technologies = list(source_case.technologies.all())
    draft.tags.set([tag.name for tag in source_case.tags.all()])
    CaseIndexPage.objects.get().add_child(instance=draft)
    draft.save_revision(user=user, log_action=True)
    adoption_record(source_case=source_case, user=user, adopter_case=draft)
    return draft


def _adopted_case_key(*, source_case: CaseStudyPage, place) -> str:
    """`<source key>-<place code>`, numbered when taken; keys are slugs of at most 120 characters."""
    stem = slugify(f"{source_case.key}-{place.code}")[:110].strip("-")
    key, n = stem, 1
    while CaseStudyPage.objects.filter(key=key).exists():
        n += 1
        key = f"{stem}-{n}"
    return key


# Review and curation (issue 5): the curators' workflow, featured cases, awards ------------------------------------

REVIEW_WORKFLOW_NAME = "사례 검토"
REVIEW_TASK_NAME = "큐레이터 검토"
AWARD_FIRST_YEAR = 2000  # the first smart-city awards; an earlier year is a typing error


class CurationRefused(Exception):
    """Why a featuring or an award cannot be recorded, in words the curator reads."""


def review_workflow_ensure(*, apps=None):
    """Put every case through the curators' review: the "사례 검토" workflow (one group approval task for the
    curator group) on the case list, and officials without a publish permission of their own there.

    Idempotent, and written against an app registry so that migration 0005 runs the same code with its historical
    models. Returns the workflow on the case list, or None while there is no case list or curator group yet (a fresh
    database: `site_structure_ensure` calls this again once it has built them). A workflow a curator has since put
    on the case list in the admin stands.
    """
    from django.apps import apps as installed_apps

    from hub.models.members import CURATOR_GROUP, OFFICIAL_GROUP

    apps = apps or installed_apps
    get = apps.get_model
    index = get("cases", "CaseIndexPage").objects.first()
    curators = get("auth", "Group").objects.filter(name=CURATOR_GROUP).first()
    if index is None or curators is None:
        return None
    get("wagtailcore", "GroupPagePermission").objects.filter(
        group__name=OFFICIAL_GROUP, page_id=index.pk, permission__codename="publish_page"
    ).delete()
    assigned = get("wagtailcore", "WorkflowPage").objects.filter(page_id=index.pk).first()
    if assigned is not None:
        return get("wagtailcore", "Workflow").objects.get(pk=assigned.workflow_id)
    task_type, _created = get("contenttypes", "ContentType").objects.get_or_create(app_label="wagtailcore", model="groupapprovaltask")
    task, _created = get("wagtailcore", "GroupApprovalTask").objects.get_or_create(
        name=REVIEW_TASK_NAME, defaults={"content_type": task_type, "active": True}
    )
    task.groups.add(curators)
    workflow, created = get("wagtailcore", "Workflow").objects.get_or_create(name=REVIEW_WORKFLOW_NAME, defaults={"active": True})
    if created:
        get("wagtailcore", "WorkflowTask").objects.create(workflow=workflow, task_id=task.pk, sort_order=0)
    get("wagtailcore", "WorkflowPage").objects.create(page_id=index.pk, workflow=workflow)
    return workflow


def _curator_required(user) -> None:
    from django.core.exceptions import PermissionDenied

    from hub import permissions

    if user is None or not permissions.is_curator(user):
        raise PermissionDenied(_("큐레이터만 추천 사례와 시상을 정할 수 있습니다."))


def _curation_indexed(case: CaseStudyPage) -> None:
    """Featuring and awards change the case's document without a publish: note it for the indexer."""
    from search.indexing import outbox_record
    from search.signals import page_documents

    outbox_record(page_documents(case))


@transaction.atomic
def case_feature_set(*, case: CaseStudyPage, featured: bool, by) -> CaseStudyPage:
    """Feature a case (or stop featuring it) at once, whatever draft or review is pending.

    The live row is written directly, and the latest revision too: the workflow publishes the latest revision on
    approval, and a stale `is_featured` there would quietly undo the curator's decision (the admin form pins it to
    the live value for every new revision, see cases/admin_forms.py).
    """
    _curator_required(by)
    current = CaseStudyPage.objects.select_for_update().get(pk=case.pk)
    if current.is_featured == featured:
        return current
    featured_at = timezone.now() if featured else None
    CaseStudyPage.objects.filter(pk=case.pk).update(is_featured=featured, featured_at=featured_at)
    current.is_featured, current.featured_at = featured, featured_at
    latest = Revision.page_revisions.filter(object_id=str(case.pk)).order_by("-created_at", "-id").first()
    if latest is not None:
        latest.content.update(is_featured=featured, featured_at=featured_at.isoformat() if featured_at else None)
        latest.save(update_fields=["content"])
    _curation_indexed(current)
    return current


@transaction.atomic
def case_award_give(*, case: CaseStudyPage, award, year: int, by, note: str = ""):
    """Give `case` an award for `year`. Giving the same award for the same year again keeps one row (the note is
    updated when one is given), so a second click never duplicates a badge."""
    from django.core.exceptions import ValidationError

    from cases.models import CaseAward

    _curator_required(by)
    if not AWARD_FIRST_YEAR <= year <= timezone.localdate().year + 1:
        raise CurationRefused(_("시상 연도는 %(first)d년부터 내년까지만 쓸 수 있습니다.") % {"first": AWARD_FIRST_YEAR})
    note = note.strip()
    existing = CaseAward.objects.select_for_update().filter(case=case, award=award, year=year).first()
    if existing is not None:
        if note and note != existing.note:
            existing.note = note
            existing.save(update_fields=["note"])
        return existing
    case_award = CaseAward(case=case, award=award, year=year, note=note, given_by=by)
    try:
        case_award.full_clean()
    except ValidationError as error:
        raise CurationRefused(" ".join(error.messages)) from error
    case_award.save()
    _curation_indexed(case)
    return case_award


@transaction.atomic
def case_award_revoke(*, case_award, by) -> None:
    _curator_required(by)
    case = case_award.case
    case_award.delete()
    _curation_indexed(case)
