"""Reads for case pages, lists and feeds. Every list here is bounded in queries whatever its length."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db import models
from django.utils.translation import gettext as _

from hub import permissions
from hub.models import Place

from .models import Adoption, CaseStudyPage, ProjectLogEntry, Sector, ShowcasePage, Stage, Technology

CASES_PER_PAGE = 24
LOGS_PER_PAGE = 30


def case_page_context(*, case: CaseStudyPage, user) -> dict:
    from communities.models import CommunityPage

    can_manage = permissions.can_manage_case(user, case)
    return {
        "province": case.lead_place.province,
        "participating": list(case.participating_places.select_related("parent")),
        "technologies": list(case.technologies.all()),
        "tags": list(case.tags.all()),
        "indicators": list(case.indicators.all()),
        "assets": list(case.assets.select_related("document")),
        "log_entries": list(case.log_entries.for_display()),
        "lessons_visible": case.lessons_visible_to(user),
        "can_manage": can_manage,
        "communities": list(CommunityPage.objects.live().filter(related_cases=case).order_by("title")),
        "showcases": list(ShowcasePage.objects.live().filter(items__case=case).distinct()),
        **case_similar_context(case=case, user=user),
        **case_adoption_context(case=case, user=user),
        "case_awards": list(case.awards.select_related("award").order_by("-year", "award__order")),
        # What the case's own officials (and curators) read about its review; nobody else sees it.
        "review_notice": case_review_state(case=case) if can_manage else None,
    }


@dataclass(frozen=True)
class ReviewNotice:
    """Where a case's pending revision stands in the curators' review ("사례 검토" workflow)."""

    changes_requested: bool  # False: waiting for a curator
    comment: str = ""
    reviewer: str = ""

    @property
    def message(self) -> str:
        if not self.changes_requested:
            return _("큐레이터가 제출된 수정본을 검토하고 있습니다. 승인되면 게시됩니다.")
        if self.comment:
            return _("%(reviewer)s 큐레이터가 수정을 요청했습니다: %(comment)s") % {"reviewer": self.reviewer, "comment": self.comment}
        return _("%(reviewer)s 큐레이터가 수정을 요청했습니다.") % {"reviewer": self.reviewer}


def case_review_state(*, case: CaseStudyPage) -> ReviewNotice | None:
    """The case's review in progress or sent back for changes, or None when no review is open."""
    from wagtail.models import WorkflowState

    state = (
        WorkflowState.objects.for_instance(case)
        .active()
        .select_related("current_task_state__finished_by__member")
        .order_by("-created_at")
        .first()
    )
    if state is None:
        return None
    if state.status != WorkflowState.STATUS_NEEDS_CHANGES or state.current_task_state is None:
        return ReviewNotice(changes_requested=False)
    task_state = state.current_task_state
    reviewer = task_state.finished_by
    member = permissions.member_of(reviewer) if reviewer else None
    name = member.display_name if member else (reviewer.get_username() if reviewer else "")
    return ReviewNotice(changes_requested=True, comment=task_state.comment.strip(), reviewer=name)


def case_changes_requested(*, case: CaseStudyPage) -> ReviewNotice | None:
    notice = case_review_state(case=case)
    return notice if notice is not None and notice.changes_requested else None


def _shown_case(case: CaseStudyPage | None, user) -> CaseStudyPage | None:
    """The case if this viewer may open it (published and visible), else None: the place is named, not the case."""
    return case if case is not None and case.live and case.is_visible_to(user) else None


def case_adoption_context(*, case: CaseStudyPage, user) -> dict:
    """Who adopted this case (`adopted_by`), from whom it learned (`learned_from`) and what the viewer may record.

    Each row is (place, case or None): a members-only or unpublished case on the other end is named by its place only.
    """
    links = list(
        Adoption.objects.filter(models.Q(source_case=case) | models.Q(adopter_case=case))
        .select_related("adopter_place__parent", "adopter_case", "source_case__lead_place__parent")
        .order_by("created_at", "pk")
    )
    adoptions = [a for a in links if a.source_case_id == case.pk]
    context = {
        "adopted_by": [(a.adopter_place, _shown_case(a.adopter_case, user), a.note) for a in adoptions],
        "learned_from": [(a.source_case.lead_place, _shown_case(a.source_case, user)) for a in links if a.adopter_case_id == case.pk],
        "adoption_options": None,
    }
    member = permissions.member_of(user)
    # The lead place is compared first: the case's own officials, its most frequent readers, cost no query here.
    own_place = member is not None and (member.place_id == case.lead_place_id or member.place_id in case.place_ids())
    if member is not None and not own_place and permissions.is_approved_member(user):
        own_cases = (
            CaseStudyPage.objects.visible_to(user)
            .filter(models.Q(lead_place=member.place_id) | models.Q(participating_places=member.place_id))
            .distinct()
            .order_by("title")
        )
        context["adoption_options"] = {
            "place": member.place,
            "existing": next((a for a in adoptions if a.adopter_place_id == member.place_id), None),
            "own_cases": list(own_cases),
            "can_start_case": permissions.is_official(user),
        }
    return context


def case_similar_context(*, case: CaseStudyPage, user) -> dict:
    """The similar-projects block: `similar` (list of SimilarCase) and `similar_unavailable` when the index cannot
    answer — a search outage must never take the case page down with it."""
    from search.service import SearchUnavailable, similar_cases

    try:
        return {"similar": similar_cases(case, viewer=user), "similar_unavailable": False}
    except SearchUnavailable:
        return {"similar": [], "similar_unavailable": True}


def case_filters_from(params) -> dict:
    """Browse filters from a query string; unknown values are ignored (the form shows what is active)."""
    return {
        "region": params.get("region", ""),
        "sector": params.get("sector", ""),
        "stage": params.get("stage", ""),
        "technology": params.get("technology", ""),
        "lang": params.get("lang", ""),
    }


def case_queryset(*, user, region: str = "", sector: str = "", stage: str = "", technology: str = "", lang: str = "", **_ignored):
    qs = CaseStudyPage.objects.visible_to(user).with_facts()
    if region:
        qs = qs.filter(lead_place__code=region) | qs.filter(lead_place__parent__code=region)
    if sector:
        qs = qs.filter(sector__slug=sector)
    if stage:
        qs = qs.filter(stage__slug=stage)
    if technology:
        qs = qs.filter(technologies__slug=technology)
    if lang:
        qs = qs.filter(language=lang)
    return qs.distinct().order_by("-first_published_at", "-pk")


def case_list_for_browsing(request) -> dict:
    filters = case_filters_from(request.GET)
    paginator = Paginator(case_queryset(user=request.user, **filters), CASES_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "cases": page,
        "filters": filters,
        "filter_query": query.urlencode(),
        "provinces": Place.objects.provinces().order_by("code"),
        "sectors": Sector.objects.all(),
        "stages": Stage.objects.all(),
        "technologies": Technology.objects.all(),
    }


def log_feed_page(*, user, page_number, kind: str = ""):
    qs = ProjectLogEntry.objects.visible_to(user).select_related("author__member", "new_stage", "case__lead_place__parent")
    if kind in ProjectLogEntry.Kind.values:
        qs = qs.filter(kind=kind)
    return Paginator(qs, LOGS_PER_PAGE).get_page(page_number)


def public_log_entries(limit: int = 50):
    from django.contrib.auth.models import AnonymousUser

    return ProjectLogEntry.objects.visible_to(AnonymousUser()).select_related("case")[:limit]
