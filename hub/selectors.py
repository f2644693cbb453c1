"""Reads the hub's own pages need."""

from django.db.models import Count, Q


def home_page_context(*, user) -> dict:
    from cases.models import CaseStudyPage, ProjectLogEntry, Sector, ShowcasePage
    from communities.models import CommunityPage

    cases = CaseStudyPage.objects.visible_to(user)
    visible_ids = cases.values("pk")
    return {
        "latest_cases": cases.with_facts().order_by("-first_published_at")[:6],
        "case_count": cases.count(),
        "region_count": cases.values("lead_place__parent").distinct().count(),
        "sectors": Sector.objects.annotate(case_count=Count("cases", filter=Q(cases__in=visible_ids))),
        "latest_logs": ProjectLogEntry.objects.visible_to(user).for_display()[:5],
        "communities": CommunityPage.objects.live()
        .annotate(member_count=Count("memberships", filter=Q(memberships__status="active"), distinct=True))
        .order_by("title")[:6],
        "showcases": ShowcasePage.objects.live().order_by("-first_published_at")[:3],
    }


def member_profile_context(*, member, viewer) -> dict:
    from cases.models import CaseStudyPage, ProjectLogEntry
    from communities.models import Membership

    return {
        "profile": member,
        "cases": CaseStudyPage.objects.visible_to(viewer).with_facts().filter(lead_place=member.place).order_by("-first_published_at")[:12],
        "logs": ProjectLogEntry.objects.visible_to(viewer).for_display().filter(author=member.user)[:10],
        "memberships": Membership.objects.active().filter(user=member.user, community__live=True).select_related("community"),
    }


def place_by_label(label: str):
    """A Korean place from its code ('41110'), 시도 name ('경기도') or '시도 시군구' ('부산광역시 중구'); None if unknown.

    A bare 시군구 name is accepted only when it is unique across Korea (중구 is not).
    """
    from hub.models import Place

    label = " ".join(str(label).split())
    places = Place.objects.korean().select_related("parent")
    if label.isdigit():
        return places.filter(code=label).first()
    province_name, _, municipality_name = label.partition(" ")
    if municipality_name:
        return places.filter(parent__name=province_name, name=municipality_name).first()
    province = places.filter(level=Place.Level.PROVINCE, name=label).first()
    if province:
        return province
    matches = list(places.filter(level=Place.Level.MUNICIPALITY, name=label)[:2])
    return matches[0] if len(matches) == 1 else None
