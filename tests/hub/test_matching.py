"""Peer matching (hub/matching.py) on both backends: reasons, exclusions, similar projects, follows and grouping."""

import datetime

import pytest
from django.utils import timezone, translation

from cases.models import Sector, Technology
from cases.services import log_entry_create
from communities.services import post_create
from hub.interests import follow, interests_update, saved_search_create
from hub.matching import member_matches, members_matches
from tests.factories import add_member, make_case, make_community, make_user, place, today
from tests.search_helpers import index_now

pytestmark = pytest.mark.django_db


def window() -> dict:
    now = timezone.now()
    return {"since": now - datetime.timedelta(hours=1), "until": now + datetime.timedelta(hours=1)}


def interested(user, *, technologies=(), sectors=(), places=(), tags=(), keywords=()):
    interests_update(
        member=user.member,
        sectors=Sector.objects.filter(slug__in=sectors),
        technologies=Technology.objects.filter(slug__in=technologies),
        places=[place(code) for code in places],
        tags=list(tags),
        keywords=list(keywords),
        digest_frequency="daily",
    )


def by_key(entries) -> dict:
    return {entry.key: entry for entry in entries}


def test_a_jeju_member_gets_peer_cases_of_their_interests_with_the_reasons(search_backend):
    member = make_user(role="official", place_code="50000")
    interested(member, technologies=("iot",), sectors=("environment",))
    air = make_case(key="gg-air", place_code="41110", title="IoT 공기질 측정망", technologies=("iot",), sector="environment")
    make_case(key="jeju-own", place_code="50000", title="제주 IoT 대기 측정", technologies=("iot",), sector="environment")
    make_case(key="draft", place_code="41110", title="IoT 초안", technologies=("iot",), publish=False)
    closed = make_community(post_visibility="community")
    insider = make_user(role="member", place_code="26110")
    add_member(closed, insider)
    post_create(community=closed, author=insider, title="IoT 센서 구매 질문", body="환경 센서")
    make_case(key="unrelated", place_code="41110", title="민원 챗봇", technologies=("ai",), sector="administration")
    index_now()
    entries = by_key(member_matches(member.member, **window()))
    assert set(entries) == {f"case:{air.pk}"}
    reasons = [reason.text for reason in entries[f"case:{air.pk}"].reasons]
    # The own 시도's IoT case resembles it too: that reason comes first (a similar project), then the interests.
    assert reasons == ["귀하의 제주 IoT 대기 측정 사업과 유사", "관심 기술 IoT와 일치", "관심 분야 환경과 일치"]
    assert entries[f"case:{air.pk}"].place_label.startswith("경기도")
    with translation.override("en"):
        assert entries[f"case:{air.pk}"].reasons[1].text == "Matches your technology IoT"


def test_similar_projects_of_the_own_local_government_and_keywords(search_backend):
    member = make_user(role="official", place_code="26110")
    make_case(
        key="own",
        place_code="26110",
        title="버스 정류장 미세먼지 측정 센서",
        summary="정류장마다 미세먼지 센서를 달아 대기질을 알려 줍니다. 측정값은 공공데이터로 공개합니다.",
    )
    alike = make_case(
        key="alike",
        place_code="41110",
        title="정류장 미세먼지 센서 설치",
        summary="버스 정류장에 측정 센서를 설치하고 대기질 측정값을 공개합니다.",
    )
    chatbot = make_case(key="chatbot", place_code="11110", title="민원 상담 챗봇", summary="인공지능 챗봇이 민원을 안내합니다.")
    interested(member, keywords=["챗봇"])
    index_now()
    entries = by_key(member_matches(member.member, **window()))
    assert set(entries) == {f"case:{alike.pk}", f"case:{chatbot.pk}"}
    assert [r.text for r in entries[f"case:{alike.pk}"].reasons] == ["귀하의 버스 정류장 미세먼지 측정 센서 사업과 유사"]
    assert [r.text for r in entries[f"case:{chatbot.pk}"].reasons] == ["키워드 ‘챗봇’과 일치"]


def test_follows_bring_activity_even_from_the_own_local_government_and_group_posts(search_backend):
    member = make_user(role="official", place_code="26110")
    colleague = make_user(role="official", place_code="26110")
    followed_case = make_case(key="followed", place_code="26110", title="스마트 가로등")
    community = make_community(title="RPA 실무자 모임")
    writer = make_user(role="member", place_code="11110")
    for user in (member, writer):
        add_member(community, user)
    follow(member=member.member, target=followed_case)
    follow(member=member.member, target=community)
    follow(member=member.member, target=writer.member)
    index_now()
    since = timezone.now()
    entry = log_entry_create(case=followed_case, author=colleague, date=today(), kind="progress", title="가로등 200개 교체")
    posts = [post_create(community=community, author=writer, title=f"RPA 질문 {n}", body="봇 배포 방법") for n in range(3)]
    post_create(community=community, author=member, title="내 글", body="스스로 쓴 글은 오지 않습니다")
    index_now()
    entries = by_key(member_matches(member.member, since=since, until=timezone.now() + datetime.timedelta(hours=1)))
    assert set(entries) == {f"log:{entry.pk}", f"community_activity:{community.pk}"}
    assert [r.text for r in entries[f"log:{entry.pk}"].reasons] == ["팔로우한 사례 스마트 가로등의 새 소식"]
    group = entries[f"community_activity:{community.pk}"]
    assert group.type == "community_activity" and group.count == 3 and group.title == "RPA 실무자 모임"
    assert set(group.document_ids) == {f"post:{post.pk}" for post in posts}
    assert {r.code for r in group.reasons} == {"follow_community", "follow_member"}


def test_saved_searches_sent_documents_and_unapproved_members(search_backend):
    member = make_user(role="official", place_code="26110")
    pending = make_user(role="pending", place_code="26110")
    saved, _new = saved_search_create(member=member.member, params={"q": "드론", "region": "41000"})
    drone = make_case(key="gg-drone", place_code="41110", title="드론 방제", technologies=("drones",))
    make_case(key="seoul-drone", place_code="11110", title="드론 배송", technologies=("drones",))
    interested(pending, technologies=("drones",))
    index_now()
    result = members_matches([member.member, pending.member], **window())
    assert [entry.key for entry in result[member.member.pk]] == [f"case:{drone.pk}"]
    assert result[member.member.pk][0].reasons[0].label == saved.name
    assert result[pending.member.pk] == []
    assert member_matches(member.member, exclude_documents={f"case:{drone.pk}"}, **window()) == []
