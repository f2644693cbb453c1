"""Curators' digest tools: what any member would receive now and why, each member's delivery log, and the
statistics of every digest run."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from hub import permissions
from hub.models import Digest, DigestFrequency, DigestItem, DigestRun, Member, MemberInterests
from hub.notifications import notification_place_label, notification_type_label, reason_texts
from search.service import SearchUnavailable

MEMBER_SEARCH_LIMIT = 20
MEMBER_QUERY_MAX_CHARS = 100
LOG_PAGE_SIZE = 10
RUNS_PAGE_SIZE = 30


def _require_curator(request) -> None:
    if not permissions.is_curator(request.user):
        raise PermissionDenied(_("큐레이터만 소식 메일 점검 화면을 볼 수 있습니다."))


def _member_id(value: str) -> int | None:
    return int(value) if value.isascii() and value.isdecimal() and len(value) <= 18 else None


def members_search(*, query: str) -> list[Member]:
    """Members whose e-mail or name contains `query` (approved first), at most MEMBER_SEARCH_LIMIT."""
    words = query.split()
    if not words:
        return []
    condition = Q()
    for word in words:
        condition &= Q(user__email__icontains=word) | Q(user__first_name__icontains=word) | Q(user__last_name__icontains=word)
    members = Member.objects.filter(condition).select_related("user", "place__parent")
    return list(members.order_by("-is_approved", "user__email")[:MEMBER_SEARCH_LIMIT])


def _interests_summary(member: Member) -> dict | None:
    interests = MemberInterests.objects.filter(member=member).prefetch_related("sectors", "technologies", "places__parent").first()
    if interests is None:
        return None
    return {
        "interests": interests,
        "sectors": [sector.label for sector in interests.sectors.all()],
        "technologies": [technology.label for technology in interests.technologies.all()],
        "places": [place.full_name for place in interests.places.all()],
        "saved_searches": list(member.saved_searches.all()),
        "follows": member.follows.count(),
    }


def _entry_rows(entries) -> list[dict]:
    return [
        {
            "entry": entry,
            "type_label": notification_type_label(entry.type),
            "place_label": notification_place_label(region=entry.region, municipality=entry.municipality),
            "reasons": [reason.text for reason in entry.reasons],
        }
        for entry in entries
    ]


@login_required
def digest_preview_view(request):
    """Pick a member (search by e-mail or name), then see both frequencies' digests as they would be built now."""
    from hub.digests import digest_preview

    _require_curator(request)
    query = request.GET.get("q", "").strip()[:MEMBER_QUERY_MAX_CHARS]
    context: dict = {"query": query, "results": members_search(query=query) if query else None, "member": None}
    raw_member = request.GET.get("member", "")
    if not raw_member:
        return render(request, "hub/digest_preview.html", context)
    member_id = _member_id(raw_member)
    member = Member.objects.select_related("user", "place__parent").filter(pk=member_id).first() if member_id else None
    if member is None:
        messages.error(request, _("그런 회원이 없습니다. 이메일이나 이름으로 찾아 고르세요."))
        return render(request, "hub/digest_preview.html", context, status=404)
    context.update(member=member, summary=_interests_summary(member), plans=[])
    try:
        for frequency in (DigestFrequency.DAILY, DigestFrequency.WEEKLY):
            plan = digest_preview(member=member, frequency=frequency)
            context["plans"].append({"plan": plan, "label": DigestFrequency(frequency).label, "rows": _entry_rows(plan.entries)})
    except SearchUnavailable:
        context["plans"] = None
        messages.error(request, _("검색 서비스에 연결할 수 없어 미리보기를 만들지 못했습니다. 잠시 뒤에 다시 시도해 주세요."))
        return render(request, "hub/digest_preview.html", context, status=503)
    return render(request, "hub/digest_preview.html", context)


@login_required
def digest_log_view(request, member_id: int):
    """Every digest of one member, newest period first, with its status, error and items (and why each was chosen)."""
    _require_curator(request)
    member = get_object_or_404(Member.objects.select_related("user", "place__parent"), pk=member_id)
    digests = (
        Digest.objects.filter(member=member)
        .select_related("run")
        .annotate(item_count=Count("items"))
        .prefetch_related(Prefetch("items", queryset=DigestItem.objects.order_by("position")))
        .order_by("-period_start", "-pk")
    )
    page = Paginator(digests, LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    for digest in page.object_list:
        digest.rows = [
            {
                "item": item,
                "type_label": notification_type_label(item.type),
                "place_label": notification_place_label(region=item.region, municipality=item.municipality),
                "reasons": reason_texts(item.reasons),
            }
            for item in digest.items.all()
        ]
    return render(request, "hub/digest_log.html", {"member": member, "page_obj": page, "statuses": Digest.Status})


@login_required
def digest_runs_view(request):
    """Every digest run, newest first: who was due, and how many were sent, empty, failed or unsubscribed."""
    _require_curator(request)
    frequency = request.GET.get("frequency", "")
    runs = DigestRun.objects.order_by("-started_at", "-pk")
    if frequency:
        if frequency not in DigestFrequency.values:
            messages.error(request, _("알 수 없는 주기입니다: %(value)s") % {"value": frequency[:20]})
            frequency = ""
        else:
            runs = runs.filter(frequency=frequency)
    problems = Digest.objects.filter(status__in=[Digest.Status.FAILED, Digest.Status.BOUNCED]).select_related("member__user")
    runs = runs.annotate(
        bounced=Count("digests", filter=Q(digests__status=Digest.Status.BOUNCED)),
        pending=Count("digests", filter=Q(digests__status=Digest.Status.PENDING)),
    ).prefetch_related(Prefetch("digests", queryset=problems.order_by("member__user__email"), to_attr="problems"))
    page = Paginator(runs, RUNS_PAGE_SIZE).get_page(request.GET.get("page"))
    frequencies = [(value, label) for value, label in DigestFrequency.choices if value != DigestFrequency.OFF]
    context = {
        "page_obj": page,
        "frequency": frequency,
        "frequencies": frequencies,
        "query": f"frequency={frequency}" if frequency else "",
    }
    return render(request, "hub/digest_runs.html", context)
