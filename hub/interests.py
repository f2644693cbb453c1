"""Interests, saved searches and follows: the rules that write them and the reads their pages need.

Only approved members may save searches and follow (a pending account has not been vouched for, and what it follows
would feed digests of content it may not read yet). Every write here is idempotent: saving the same search or
following the same target twice leaves one row.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from hub import permissions
from hub.models import DigestFrequency, Follow, Member, MemberInterests, Place, SavedSearch

MAX_SAVED_SEARCHES = 50
SAVED_SEARCH_NAME_CHARS = 120
SEARCH_PAGE_URL = "/search/"
# Commas (ASCII, full-width, ideographic) and line breaks separate tags and keywords; a keyword may hold spaces.
LIST_SEPARATORS = re.compile(r"[,，、\n\r]+")


# Text lists (tags, keywords) ---------------------------------------------------------------------------------------


def text_list_parse(value: str | Iterable[str]) -> list[str]:
    """'IoT, 미세먼지 ,iot' → ['IoT', '미세먼지']: trimmed, blanks dropped, repeats (ignoring case) kept once."""
    parts = LIST_SEPARATORS.split(value) if isinstance(value, str) else [str(part) for part in value]
    seen, out = set(), []
    for part in (" ".join(part.split()) for part in parts):
        if part and part.casefold() not in seen:
            seen.add(part.casefold())
            out.append(part)
    return out


# Places by name or code --------------------------------------------------------------------------------------------


class PlaceLabelError(ValueError):
    """A place label that names no Korean local government, or more than one."""


class PlaceLookup:
    """Korean places by code ('26140'), 시도 name ('부산광역시'), '시도 시군구' ('부산광역시 중구') or a 시군구 name that
    exists in one 시도 only ('성남시'); built on the case import's vocabulary, loaded once, no query per label."""

    def __init__(self, vocabulary=None):
        from cases.importing import Vocabulary

        self.vocabulary = vocabulary or Vocabulary()
        municipalities = {place.pk: place for place in self.vocabulary.municipalities.values()}.values()
        self.by_code = {place.code: place for place in municipalities}
        self.by_code.update({place.code: place for place in self.vocabulary.provinces.values()})
        self.by_name: dict[str, list[Place]] = {}
        for place in sorted(municipalities, key=lambda p: p.code):
            self.by_name.setdefault(place.name.casefold(), []).append(place)

    def resolve(self, label: str) -> Place:
        label = " ".join(str(label).split())
        if not label:
            raise PlaceLabelError(_("비어 있습니다."))
        if label.isdigit():
            if place := self.by_code.get(label):
                return place
            raise PlaceLabelError(_("‘%(label)s’는 알 수 없는 지역 코드입니다.") % {"label": label})
        if province := self.vocabulary.provinces.get(label.casefold()):
            return province
        region, _sep, name = label.partition(" ")
        if name:
            province = self.vocabulary.provinces.get(region.casefold())
            if province is None:
                raise PlaceLabelError(_("‘%(label)s’: ‘%(region)s’는 알 수 없는 시도입니다.") % {"label": label, "region": region})
            place = self.vocabulary.municipalities.get((province.pk, name.casefold()))
            if place is None:
                raise PlaceLabelError(_("‘%(name)s’는 %(region)s의 시군구가 아닙니다.") % {"name": name, "region": province.name})
            return place
        matches = self.by_name.get(label.casefold(), [])
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise PlaceLabelError(
                _("‘%(label)s’는 여러 시도에 있습니다(%(where)s). ‘%(example)s’처럼 시도와 함께 쓰세요.")
                % {"label": label, "where": ", ".join(p.parent.name for p in matches), "example": matches[0].full_name}
            )
        raise PlaceLabelError(_("‘%(label)s’는 알 수 없는 지역입니다.") % {"label": label})


# Interests ---------------------------------------------------------------------------------------------------------


def interests_defaults(*, member: Member) -> dict:
    """What a new member probably cares about: the sectors and technologies of the cases their own local government
    leads or takes part in, and their own 시도 (peers nearby are the first ones they ask)."""
    from cases.models import CaseStudyPage, Sector, Technology

    own_cases = CaseStudyPage.objects.filter(Q(lead_place=member.place_id) | Q(participating_places=member.place_id)).values("pk")
    province = member.place.province
    return {
        "sectors": list(Sector.objects.filter(cases__in=own_cases).distinct()),
        "technologies": list(Technology.objects.filter(cases__in=own_cases).distinct()),
        "places": [province] if province else [],
        "digest_frequency": DigestFrequency.WEEKLY,
    }


@transaction.atomic
def interests_ensure(*, member: Member) -> MemberInterests:
    """The member's interests, created with `interests_defaults` the first time; never overwrites existing ones."""
    interests = MemberInterests.objects.filter(member=member).first()
    if interests is not None:
        return interests
    defaults = interests_defaults(member=member)
    interests = MemberInterests.objects.create(member=member, digest_frequency=defaults["digest_frequency"])
    interests.sectors.set(defaults["sectors"])
    interests.technologies.set(defaults["technologies"])
    interests.places.set(defaults["places"])
    return interests


@transaction.atomic
def interests_update(
    *,
    member: Member,
    sectors: Iterable,
    technologies: Iterable,
    places: Iterable[Place],
    tags: Iterable[str],
    keywords: Iterable[str],
    digest_frequency: str,
) -> MemberInterests:
    """Replace the member's interests; a ValidationError (naming the field) leaves them as they were."""
    interests = interests_ensure(member=member)
    interests.tags = text_list_parse(tags)
    interests.keywords = text_list_parse(keywords)
    interests.digest_frequency = digest_frequency
    places = list(places)
    if foreign := [place for place in places if not place.is_korean]:
        raise ValidationError(
            {"places": _("관심 지역은 국내 지자체만 고를 수 있습니다: %(names)s") % {"names": ", ".join(map(str, foreign))}}
        )
    interests.full_clean(exclude=["member"])
    interests.save()
    interests.sectors.set(list(sectors))
    interests.technologies.set(list(technologies))
    interests.places.set(places)
    return interests


# Saved searches ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchState:
    """A search page state as saved: the query text and the page's other parameters, in the page's fixed order."""

    query: str
    params: tuple[tuple[str, str], ...]  # without q and page

    @property
    def filters(self) -> dict[str, str]:
        return dict(self.params)

    @property
    def query_string(self) -> str:
        return urlencode([("q", self.query), *self.params] if self.query else list(self.params))

    @property
    def key(self) -> str:
        return hashlib.sha256(self.query_string.encode()).hexdigest()


def search_state_from(params: Mapping[str, str]) -> SearchState:
    """The state the search page shows for these query parameters; a value the page would refuse is a
    ValidationError naming the parameter (a subscription must not silently differ from what was asked)."""
    from search.labels import known_value
    from search.service import SORTS
    from search.views import FACET_LABELS, search_request_from, state_params

    request, notices = search_request_from(params)
    if notices:
        raise ValidationError({"year": notices[0]})
    for name, value in request.filters.active().items():
        known = 1900 <= int(value) <= 2100 if name == "year" else known_value(name, str(value))
        if not known:
            raise ValidationError(
                {name: _("%(facet)s ‘%(value)s’는 알 수 없는 값입니다.") % {"facet": FACET_LABELS[name], "value": str(value)[:40]}}
            )
    if request.sort not in SORTS:
        raise ValidationError({"sort": _("정렬 방식 ‘%(value)s’는 없습니다.") % {"value": request.sort[:40]}})
    params = state_params(request, page=None)
    return SearchState(query=request.text.strip(), params=tuple((name, value) for name, value in params if name != "q"))


def saved_search_url(*, query: str, filters: Mapping[str, str]) -> str:
    """The search page URL of a saved state, its parameters in the page's own order (one state, one URL)."""
    from search.views import search_request_from, state_url

    request, _notices = search_request_from({"q": query, **{name: str(value) for name, value in filters.items()}})
    query_string = state_url(request, page=None)
    return SEARCH_PAGE_URL + (query_string if query_string != "?" else "")


def saved_search_default_name(state: SearchState) -> str:
    from search.labels import label_for

    parts = [f"‘{state.query}’"] if state.query else [_("전체")]
    parts += [label_for(name, value) for name, value in state.params if name != "sort"]
    name = " · ".join(parts)
    return name if len(name) <= SAVED_SEARCH_NAME_CHARS else name[: SAVED_SEARCH_NAME_CHARS - 1] + "…"


def _require_approved(member: Member, refusal: str) -> None:
    if not permissions.is_approved_member(member.user):
        raise PermissionDenied(refusal)


def saved_search_create(*, member: Member, params: Mapping[str, str], name: str = "") -> tuple[SavedSearch, bool]:
    """Subscribe the member to the search these parameters show; (the saved search, whether it is new)."""
    _require_approved(member, _("승인된 회원만 검색을 구독할 수 있습니다."))
    state = search_state_from(params)
    existing = SavedSearch.objects.filter(member=member, state_key=state.key).first()
    if existing is not None:
        return existing, False
    if SavedSearch.objects.filter(member=member).count() >= MAX_SAVED_SEARCHES:
        raise ValidationError(_("구독한 검색은 %(max)s개까지입니다. 설정에서 쓰지 않는 것을 지워 주세요.") % {"max": MAX_SAVED_SEARCHES})
    name = " ".join(name.split())[:SAVED_SEARCH_NAME_CHARS] or saved_search_default_name(state)
    try:
        with transaction.atomic():
            saved = SavedSearch.objects.create(member=member, name=name, query=state.query, filters=state.filters, state_key=state.key)
    except IntegrityError:  # the same search saved at the same moment from another tab
        return SavedSearch.objects.get(member=member, state_key=state.key), False
    return saved, True


def saved_search_delete(*, member: Member, saved_search_id: int) -> bool:
    """Remove one of the member's own saved searches; False if there was none (already removed, or another's)."""
    deleted, _rows = SavedSearch.objects.filter(member=member, pk=saved_search_id).delete()
    return bool(deleted)


# Follows -----------------------------------------------------------------------------------------------------------


def follow_target_get(*, kind: str, target_id: int | None, viewer):
    """The case, community or member `kind` and `target_id` name, if the viewer may see (and so follow) it."""
    from cases.models import CaseStudyPage
    from communities.models import CommunityPage

    if target_id is None:
        return None
    if kind == Follow.Kind.CASE:
        return CaseStudyPage.objects.visible_to(viewer).filter(pk=target_id).first()
    if kind == Follow.Kind.COMMUNITY:
        return CommunityPage.objects.live().filter(pk=target_id).first()
    if kind == Follow.Kind.MEMBER:
        return Member.objects.filter(user_id=target_id, user__is_active=True).select_related("user").first()
    return None


def _target_filter(target) -> dict:
    from cases.models import CaseStudyPage
    from communities.models import CommunityPage

    if isinstance(target, CaseStudyPage):
        return {"case": target}
    if isinstance(target, CommunityPage):
        return {"community": target}
    if isinstance(target, Member):
        return {"followed_member": target}
    raise TypeError(f"cannot follow a {type(target).__name__}")


def follow(*, member: Member, target) -> tuple[Follow, bool]:
    """Follow a case, community or other member; (the follow, whether it is new). Following again changes nothing."""
    _require_approved(member, _("승인된 회원만 팔로우할 수 있습니다."))
    lookup = _target_filter(target)
    if lookup.get("followed_member") == member:
        raise ValidationError(_("자기 자신은 팔로우할 수 없습니다."))
    try:
        with transaction.atomic():
            return Follow.objects.get_or_create(member=member, **lookup)
    except IntegrityError:  # a second request in the same instant created it
        return Follow.objects.get(member=member, **lookup), False


def unfollow(*, member: Member, target) -> bool:
    """Stop following; False if the member did not follow it (unfollowing twice is harmless)."""
    deleted, _rows = Follow.objects.filter(member=member, **_target_filter(target)).delete()
    return bool(deleted)


def follow_state(*, target, viewer) -> dict:
    """What a follow button needs, in one query: the follower count and whether the viewer follows (None when the
    viewer may not follow: signed out, not approved, or it is themselves)."""
    lookup = _target_filter(target)
    member = permissions.member_of(viewer)
    may_follow = member is not None and permissions.is_approved_member(viewer) and lookup.get("followed_member") != member
    aggregates = {"count": Count("pk")} | ({"mine": Count("pk", filter=Q(member=member))} if may_follow else {})
    counts = Follow.objects.filter(**lookup).aggregate(**aggregates)
    return {"count": counts["count"], "following": bool(counts["mine"]) if may_follow else None, "may_follow": may_follow}


def member_follows(*, member: Member) -> list[Follow]:
    return list(Follow.objects.filter(member=member).select_related("case", "community", "followed_member__user"))
