"""The search contract, held on both backends (SQLite FTS5 and Elasticsearch) by the same tests."""

import pytest
from django.contrib.auth.models import AnonymousUser

from communities.services import post_create, post_hide
from search.backends import get_backend
from search.service import SearchFilters, SearchRequest, search, similar_cases, suggest
from tests.factories import add_member, make_case, make_community, make_user
from tests.search_helpers import index_now

pytestmark = pytest.mark.django_db
ANONYMOUS = AnonymousUser()


def keys(result) -> list[str]:
    return [hit.key for hit in result.hits]


def find(text: str, viewer=ANONYMOUS, **filters) -> list[str]:
    return keys(search(SearchRequest(text=text, filters=SearchFilters(**filters)), viewer=viewer))


def test_korean_particles_compounds_and_synonyms(search_backend):
    make_case(key="platform", title="주민 참여 플랫폼을 만들다", summary="참여예산 심사를 온라인으로 합니다.")
    make_case(key="dust", title="미세 먼지 측정망", summary="사물인터넷 센서 300대", technologies=("iot",), sector="environment")
    make_case(key="other", title="스마트 가로등", summary="에너지 절감")
    index_now()
    assert find("플랫폼") == ["platform"]
    assert find("참여 예산") == ["platform"]
    assert find("미세먼지") == ["dust"]
    assert find("IoT") == ["dust"]
    assert find("*:*") == []


def test_english_stemming(search_backend):
    make_case(key="reports", title="Open data reports for citizens", summary="Monthly reports.", language="en")
    index_now()
    assert find("report") == ["reports"]
    assert find("reporting") == ["reports"]


def test_visibility_and_hidden_posts(search_backend):
    make_case(key="public-case", title="공개 드론 사례")
    make_case(key="members-case", title="회원 드론 사례", visibility="members")
    make_case(key="draft-case", title="초안 드론 사례", publish=False)
    closed = make_community(post_visibility="community")
    author = make_user(role="member")
    add_member(closed, author)
    post = post_create(community=closed, author=author, title="드론 방제 질문", body="드론 방제 경험 있으신가요?")
    hidden = post_create(community=closed, author=author, title="숨길 드론 글", body="드론")
    post_hide(post=hidden, by=author)
    index_now()
    assert set(find("드론")) == {"public-case"}
    outsider = make_user(role="member")
    assert set(find("드론", viewer=outsider)) == {"public-case", "members-case"}
    assert set(find("드론", viewer=author)) == {"public-case", "members-case", f"post-{post.pk}"}


def test_facets_filters_and_paging(search_backend):
    for n in range(5):
        make_case(key=f"gg-{n}", title=f"교통 신호 {n}", place_code="41110", technologies=("ai", "iot"))
    make_case(key="seoul", title="교통 신호 서울", place_code="11110", sector="safety", stage="operation")
    index_now()
    result = search(SearchRequest(text="교통", page_size=2), viewer=ANONYMOUS)
    assert result.total == 6 and len(result.hits) == 2 and result.page_count == 3
    facets = {name: {v.value: v.count for v in values} for name, values in result.facets.items()}
    assert facets["region"] == {"41000": 5, "11000": 1}
    assert facets["municipality"]["41110"] == 5
    assert facets["technology"]["iot"] == 5
    assert facets["sector"] == {"urban-transport": 5, "safety": 1}
    assert facets["type"] == {"case": 6}
    assert find("교통", region="11000") == ["seoul"]
    assert len(find("교통", municipality="41110", technology="iot")) == 5
    labels = {v.value: v.label for v in result.facets["region"]}
    assert labels["41000"] == "경기도"


def test_updates_and_deletes_reach_the_index(search_backend):
    case = make_case(key="changing", title="스마트 주차")
    index_now()
    assert find("주차") == ["changing"]
    case.title = "스마트 횡단보도"
    case.save_revision().publish()
    index_now()
    assert find("주차") == [] and find("횡단보도") == ["changing"]
    case.unpublish()
    index_now()
    assert find("횡단보도") == []
    assert get_backend().get(f"case:{case.pk}") is None


def test_similar_cases_prefer_other_regions(search_backend):
    source = make_case(
        key="src",
        title="미세먼지 측정망 구축",
        summary="미세먼지 센서로 측정망",
        sector="environment",
        technologies=("iot",),
        place_code="31140",
    )
    make_case(
        key="same-region",
        title="미세먼지 측정망 확대",
        summary="미세먼지 센서 측정망",
        sector="environment",
        technologies=("iot",),
        place_code="31110",
    )
    make_case(
        key="other-region",
        title="미세먼지 측정망",
        summary="미세먼지 센서",
        sector="environment",
        technologies=("iot",),
        place_code="41110",
    )
    make_case(key="unrelated", title="전자 도서관", summary="도서 대출", sector="culture-education", technologies=("ai",))
    index_now()
    similar = similar_cases(source, viewer=ANONYMOUS)
    assert [s.hit.key for s in similar][:2] == ["other-region", "same-region"]
    assert similar[0].shared_sectors == ("environment",) and "iot" in similar[0].shared_technologies
    assert "미세먼지" in similar[0].shared_terms


def test_suggest_by_prefix_respects_visibility(search_backend):
    make_case(key="crosswalk", title="스마트 횡단보도 설치")
    make_case(key="secret", title="스마트 횡단보도 비공개", visibility="members")
    index_now()
    texts = [s.text for s in suggest("스마트횡", viewer=ANONYMOUS)]
    assert texts == ["스마트 횡단보도 설치"]
    assert [s.text for s in suggest("횡단", viewer=ANONYMOUS)] == ["스마트 횡단보도 설치"]
