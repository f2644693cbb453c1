"""Factories for tests: real objects through the same services and page tree the site uses."""

from __future__ import annotations

import datetime
import itertools

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from cases.models import CaseIndexPage, CaseStudyPage, Sector, Stage, Technology
from communities.models import CommunityIndexPage, CommunityPage, Membership
from hub.models import Member, Place
from hub.models.members import CURATOR_GROUP, OFFICIAL_GROUP

PASSWORD = "test-pass-2026!"
_seq = itertools.count(1)


def place(code: str) -> Place:
    return Place.objects.get(code=code)


def make_user(
    *, role: str = "member", place_code: str = "11110", approved: bool = True, email: str | None = None, name: str = ""
) -> get_user_model():
    """role: 'member' (approved, no group), 'official', 'curator', 'pending' (not approved)."""
    n = next(_seq)
    email = email or f"{role}{n}@test.example"
    user = get_user_model().objects.create_user(username=email, email=email, password=PASSWORD, first_name=name or f"{role} {n}")
    Member.objects.create(
        user=user,
        place=place(place_code),
        organisation="스마트도시과",
        job_title="주무관",
        is_approved=approved and role != "pending",
    )
    if role == "official":
        user.groups.add(Group.objects.get(name=OFFICIAL_GROUP))
    if role == "curator":
        user.groups.add(Group.objects.get(name=CURATOR_GROUP))
    return user


def make_case(
    *,
    key: str | None = None,
    place_code: str = "11110",
    title: str = "",
    visibility: str = "public",
    publish: bool = True,
    sector: str = "urban-transport",
    stage: str = "pilot",
    technologies=("ai",),
    **fields,
) -> CaseStudyPage:
    n = next(_seq)
    key = key or f"case-{n}"
    case = CaseStudyPage(
        title=title or f"스마트 교차로 사업 {n}",
        slug=key,
        key=key,
        summary=fields.pop("summary", "AI로 신호를 제어합니다."),
        lead_place=place(place_code),
        sector=Sector.objects.get(slug=sector),
        stage=Stage.objects.get(slug=stage),
        start_year=fields.pop("start_year", 2024),
        visibility=visibility,
        **fields,
    )
    CaseIndexPage.objects.get().add_child(instance=case)
    case.technologies.set(Technology.objects.filter(slug__in=technologies))
    revision = case.save_revision()
    if publish:
        revision.publish()
    else:
        case.unpublish()
    return CaseStudyPage.objects.get(pk=case.pk)


def make_community(
    *, slug: str | None = None, join_policy: str = "open", post_visibility: str = "public", title: str = ""
) -> CommunityPage:
    n = next(_seq)
    slug = slug or f"community-{n}"
    community = CommunityPage(
        title=title or f"AI 교통 {n}",
        slug=slug,
        description="교통 AI 실무자 모임",
        join_policy=join_policy,
        post_visibility=post_visibility,
    )
    CommunityIndexPage.objects.get().add_child(instance=community)
    community.save_revision().publish()
    return CommunityPage.objects.get(pk=community.pk)


def add_member(community: CommunityPage, user, *, role: str = "member") -> Membership:
    return Membership.objects.create(community=community, user=user, role=role, status=Membership.Status.ACTIVE)


def today() -> datetime.date:
    return datetime.date(2026, 11, 21)
