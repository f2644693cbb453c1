"""Matching (digests, notifications), held on both backends by the same tests: criteria, reasons, exclusions."""

import datetime

import pytest
from django.utils import timezone

from cases.services import log_entry_create
from communities.services import post_create
from search.service import MatchCriterion, MatchRequest, match, member_audiences
from tests.factories import add_member, make_case, make_community, make_user, today
from tests.search_helpers import index_now

pytestmark = pytest.mark.django_db
MEMBER_AUDIENCES = ("public", "members")


def window(hours: float = 1.0) -> dict:
    now = timezone.now()
    return {"published_from": now - datetime.timedelta(hours=hours), "published_until": now + datetime.timedelta(hours=hours)}


def found(*criteria: MatchCriterion, audiences=MEMBER_AUDIENCES, **options) -> dict[str, tuple[str, ...]]:
    """key → the names of the criteria it meets, for one request."""
    request = MatchRequest(criteria=criteria, audiences=tuple(audiences), include_lessons=True, **(window() | options))
    [matches] = match([request])
    return {m.hit.key: m.criteria for m in matches}


def test_filter_criteria_name_every_reason_and_each_document_once(search_backend):
    make_case(key="gg-iot-env", place_code="41110", technologies=("iot",), sector="environment", title="공기질 측정")
    make_case(key="gg-ai", place_code="41110", technologies=("ai",), title="신호 제어")
    make_case(key="seoul-iot", place_code="11110", technologies=("iot",), title="주차 센서")
    index_now()
    result = found(
        MatchCriterion(name="technology:iot", filters={"technology": ("iot",)}),
        MatchCriterion(name="sector:environment", filters={"sector": ("environment",)}),
    )
    assert result == {"gg-iot-env": ("technology:iot", "sector:environment"), "seoul-iot": ("technology:iot",)}
    # Meeting two criteria ranks above meeting one.
    [matches] = match(
        [
            MatchRequest(
                criteria=(MatchCriterion(name="t", filters={"technology": ("iot",)}),),
                audiences=MEMBER_AUDIENCES,
                include_lessons=True,
                **window(),
            )
        ]
    )
    assert {m.hit.key for m in matches} == {"gg-iot-env", "seoul-iot"}


def test_peer_criteria_leave_out_the_own_local_government_and_follows_do_not(search_backend):
    own = make_case(key="own", place_code="26110", technologies=("iot",))
    make_case(key="province", place_code="26000", technologies=("iot",))  # the 시도 government itself is a peer
    make_case(key="shared", place_code="41110", technologies=("iot",), title="공동 사업")
    shared = make_case(key="joint", place_code="41110", technologies=("iot",))
    shared.participating_places.add(own.lead_place)
    shared.save_revision().publish()
    index_now()
    peer = MatchCriterion(name="technology:iot", filters={"technology": ("iot",)}, peer=True)
    assert set(found(peer, own_places=("26110",))) == {"province", "shared"}
    follow = MatchCriterion(name="follow_case", filters={"case": (own.pk,)})
    assert set(found(follow, own_places=("26110",))) == {"own"}


def test_the_window_audiences_authors_and_sent_documents_are_respected(search_backend):
    writer = make_user(role="official", place_code="41110")
    mine = make_case(key="mine", place_code="41110", technologies=("drones",), owner=writer)
    make_case(key="members", place_code="41110", technologies=("drones",), visibility="members")
    make_case(key="draft", place_code="41110", technologies=("drones",), publish=False)
    make_case(key="sent", place_code="41110", technologies=("drones",))
    index_now()
    drone = MatchCriterion(name="technology:drones", filters={"technology": ("drones",)})
    assert set(found(drone)) == {"mine", "members", "sent"}
    assert set(found(drone, audiences=("public",))) == {"mine", "sent"}
    assert set(found(drone, exclude_authors=(str(writer.pk),))) == {"members", "sent"}
    assert set(found(drone, exclude_documents=frozenset({"case:" + str(mine.pk)}))) == {"members", "sent"}
    past = timezone.now() - datetime.timedelta(days=3)
    assert found(drone, published_from=past - datetime.timedelta(days=1), published_until=past) == {}


def test_text_criteria_use_the_analyser_and_follow_criteria_find_logs_and_posts(search_backend):
    dust = make_case(key="dust", place_code="41110", title="미세 먼지 측정망 구축", technologies=("iot",))
    make_case(key="lights", place_code="41110", title="스마트 가로등", technologies=("iot",))
    community = make_community(post_visibility="community")
    author = make_user(role="member", place_code="26110")
    add_member(community, author)
    post = post_create(community=community, author=author, title="측정기 교정 주기", body="얼마나 자주 하시나요?")
    entry = log_entry_create(case=dust, author=author, date=today(), kind="progress", title="센서 설치 완료", body="300대")
    index_now()
    # The log is found too: a log entry's words include its case's title.
    assert set(found(MatchCriterion(name="keyword", text="미세먼지"))) == {"dust", f"log-{entry.pk}"}
    follows = (
        MatchCriterion(name="follow_case", filters={"case": (dust.pk,), "type": ("log",)}),
        MatchCriterion(name="follow_community", filters={"community": (community.pk,), "type": ("post",)}),
    )
    assert set(found(*follows)) == {f"log-{entry.pk}"}  # the post is for the community's members only
    everyone = (*MEMBER_AUDIENCES, f"community:{community.pk}")
    assert set(found(*follows, audiences=everyone)) == {f"log-{entry.pk}", f"post-{post.pk}"}
    follow_member = MatchCriterion(name="follow_member", filters={"author": (str(author.pk),)})
    assert set(found(follow_member, audiences=everyone)) == {f"log-{entry.pk}", f"post-{post.pk}"}


def test_similar_criteria_find_cases_that_share_a_cases_words(search_backend):
    own = make_case(
        key="own",
        place_code="26110",
        title="버스 정류장 미세먼지 측정 센서",
        summary="정류장마다 미세먼지 센서를 달아 대기질을 알려 줍니다. 측정값은 공공데이터로 공개합니다.",
    )
    make_case(
        key="alike",
        place_code="41110",
        title="정류장 미세먼지 센서 설치",
        summary="버스 정류장에 측정 센서를 설치하고 대기질 측정값을 공개합니다.",
    )
    make_case(key="unlike", place_code="41110", title="민원 챗봇", summary="인공지능 상담으로 민원을 안내합니다.")
    index_now()
    similar = MatchCriterion(name="similar", similar_to=f"case:{own.pk}", filters={"type": ("case",)}, peer=True)
    assert set(found(similar, own_places=("26110",))) == {"alike"}


def test_many_requests_answer_in_order_and_member_audiences_match_the_viewers(search_backend):
    make_case(key="iot", place_code="41110", technologies=("iot",))
    make_case(key="ai", place_code="41110", technologies=("ai",))
    index_now()
    requests = [
        MatchRequest(
            criteria=(MatchCriterion(name=slug, filters={"technology": (slug,)}),),
            audiences=MEMBER_AUDIENCES,
            include_lessons=True,
            **window(),
        )
        for slug in ("ai", "iot", "blockchain", "ai")
    ]
    assert [[m.hit.key for m in matches] for matches in match(requests)] == [["ai"], ["iot"], [], ["ai"]]
    community = make_community(post_visibility="community")
    member, pending = make_user(role="member"), make_user(role="pending")
    add_member(community, member)
    audiences = member_audiences([member, pending])
    assert audiences[member.pk] == ["public", "members", f"community:{community.pk}"]
    assert audiences[pending.pk] == ["public"]


def test_match_hits_are_ids_and_their_sources_leave_out_the_long_text(search_backend):
    from search.backends.base import MATCH_SOURCE_EXCLUDES

    case = make_case(key="long", place_code="41110", technologies=("iot",), title="공기질 측정", summary="요약")
    index_now()
    doc_id = f"case:{case.pk}"
    sources = search_backend.match_sources([doc_id, "case:999999"])
    assert list(sources) == [doc_id]  # an id no longer in the index is left out
    assert sources[doc_id]["title"] == "공기질 측정" and sources[doc_id]["summary"] == "요약"
    assert not set(MATCH_SOURCE_EXCLUDES) & set(sources[doc_id])
    [matches] = match(
        [
            MatchRequest(
                criteria=(MatchCriterion(name="t", filters={"technology": ("iot",)}),),
                audiences=MEMBER_AUDIENCES,
                include_lessons=True,
                **window(),
            )
        ]
    )
    assert [m.hit.id for m in matches] == [doc_id] and matches[0].hit.snippet.startswith("요약")
