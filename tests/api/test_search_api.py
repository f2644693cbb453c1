"""The search JSON API (/api/v1/search/, /api/v1/suggest/, /api/v1/cases/{key}/similar/) on both search backends."""

import json

import pytest

from search.backends import get_backend
from search.service import FACETS
from tests.conftest import free_port
from tests.factories import PASSWORD, add_member, make_case, make_community, make_user, today
from tests.search_helpers import index_now
from tests.xss import executable_parts

pytestmark = pytest.mark.django_db

SEARCH = "/api/v1/search/"
SUGGEST = "/api/v1/suggest/"
HIT_FIELDS = {
    *("key", "type", "title", "url", "region", "municipality", "sector", "sectors", "technologies", "stage", "snippet", "score"),
    *("featured", "awards"),
}


def get_json(client, path, params=None, status=200):
    response = client.get(path, params or {})
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


def search_keys(client, **params):
    return [hit["key"] for hit in get_json(client, SEARCH, params)["results"]]


def sign_in(client, role="member"):
    """A real session sign-in with the password, as a browser's API calls would carry it."""
    user = make_user(role=role)
    assert client.login(username=user.username, password=PASSWORD)
    return user


# Shape ----------------------------------------------------------------------


def test_search_answers_every_field_of_the_contract(client, search_backend):
    make_case(
        key="suwon-crosswalk",
        title="스마트 횡단보도로 어린이보호구역 보행 안전 강화",
        summary="횡단보도 바닥 신호등과 음성 안내로 어린이 보행 사고를 줄였습니다. <img src=x onerror=alert(1)>",
        place_code="41110",
        sector="safety",
        stage="operation",
        technologies=("iot", "ai"),
        start_year=2024,
    )
    # Unrelated cases, so that a word only one case uses weighs something in BM25 (its idf is 0 with two documents).
    make_case(
        key="drones",
        title="농촌 드론 방제",
        summary="드론으로 병해충을 방제합니다.",
        sector="agriculture-fisheries",
        technologies=("drones",),
    )
    make_case(key="parking", title="공영주차장 공유 플랫폼", summary="빈 주차면을 알려 줍니다.")
    index_now()

    body = get_json(client, SEARCH, {"q": "횡단보도"})
    assert set(body) == {"total", "next", "previous", "results", "facets"}
    assert body["total"] == 1 and body["next"] is None and body["previous"] is None
    (hit,) = body["results"]
    assert set(hit) == HIT_FIELDS
    assert hit["key"] == "suwon-crosswalk" and hit["type"] == "case"
    assert hit["title"] == "스마트 횡단보도로 어린이보호구역 보행 안전 강화"
    assert hit["url"] == "http://testserver/cases/suwon-crosswalk/"
    assert hit["region"] == {"code": "41000", "name": "경기도", "name_en": "Gyeonggi-do"}
    assert hit["municipality"] == {"code": "41110", "name": "수원시", "name_en": "Suwon-si"}
    assert hit["sector"] == "safety" and hit["sectors"] == ["safety"]
    assert sorted(hit["technologies"]) == ["ai", "iot"]
    assert hit["stage"] == "operation"
    assert "<mark>횡단보도</mark>" in hit["snippet"]
    assert executable_parts(hit["snippet"]) == [] and "<img" not in hit["snippet"]
    assert isinstance(hit["score"], float) and hit["score"] > 0

    assert set(body["facets"]) == set(FACETS)
    assert body["facets"]["region"] == [{"value": "41000", "label": "경기도", "count": 1}]
    assert body["facets"]["type"] == [{"value": "case", "label": "사례", "count": 1}]
    assert {"value": "iot", "label": "IoT", "count": 1} in body["facets"]["technology"]


def test_logs_posts_and_communities_answer_the_same_shape(client, search_backend):
    from cases.services import log_entry_create
    from communities.services import post_create

    author = make_user()
    case = make_case(key="suwon-signals", place_code="41110", title="수원 교차로 신호 제어", sector="urban-transport", stage="pilot")
    entry = log_entry_create(case=case, author=author, date=today(), kind="milestone", title="교차로 신호 제어 2단계 착수")
    community = make_community(slug="signals", title="교차로 신호 제어 실무자 모임")
    add_member(community, author)
    post = post_create(community=community, author=author, title="교차로 신호 제어 사례 공유", body="신호 주기 조정 결과입니다.")
    index_now()

    body = get_json(client, SEARCH, {"q": "교차로 신호", "page_size": 10})
    hits = {hit["type"]: hit for hit in body["results"]}
    assert set(hits) == {"case", "log", "community", "post"}
    assert all(set(hit) == HIT_FIELDS and hit["url"].startswith("http://testserver/") for hit in hits.values())
    assert hits["log"]["key"] == f"log-{entry.pk}" and hits["post"]["key"] == f"post-{post.pk}"
    assert hits["community"]["key"] == "signals" and hits["community"]["url"] == "http://testserver/communities/signals/"
    assert hits["log"]["region"]["code"] == "41000" and hits["log"]["stage"] == "pilot"
    assert hits["post"]["stage"] is None and isinstance(hits["post"]["sectors"], list)
    assert {v["value"]: v["count"] for v in body["facets"]["type"]} == {"case": 1, "log": 1, "community": 1, "post": 1}
    assert [hit["key"] for hit in get_json(client, SEARCH, {"q": "교차로 신호", "type": "post"})["results"]] == [f"post-{post.pk}"]


def test_province_led_and_foreign_cases_have_null_places(client, search_backend):
    from cases.importing import foreign_city_get_or_create

    tokyo = foreign_city_get_or_create("JP", "Tokyo")
    make_case(key="gyeonggi-wide", place_code="41000", title="경기도 공공 와이파이 확대")
    make_case(key="tokyo-wifi", place_code=tokyo.code, title="도쿄 공공 와이파이 확대")
    index_now()
    hits = {hit["key"]: hit for hit in get_json(client, SEARCH, {"q": "와이파이"})["results"]}
    assert hits["gyeonggi-wide"]["region"]["code"] == "41000" and hits["gyeonggi-wide"]["municipality"] is None
    assert hits["tokyo-wifi"]["region"] is None
    assert hits["tokyo-wifi"]["municipality"] == {"code": "JP:Tokyo", "name": "Tokyo", "name_en": "Tokyo"}
    assert search_keys(client, q="와이파이", municipality="JP:Tokyo") == ["tokyo-wifi"]


# Facets and filters ---------------------------------------------------------


@pytest.fixture
def four_items():
    make_case(key="suwon", place_code="41110", sector="urban-transport", stage="pilot", technologies=("ai",), start_year=2023)
    make_case(
        key="jongno",
        place_code="11110",
        sector="safety",
        stage="operation",
        technologies=("iot", "gis"),
        language="en",
        start_year=2025,
        title="Smart crosswalk in Jongno",
        summary="A smart crosswalk with AI signals.",
    )
    make_case(key="gyeonggi", place_code="41000", sector="health-welfare", stage="pilot", technologies=(), start_year=2025)
    make_community(slug="signals-community", title="스마트 교차로 실무자 모임")
    index_now()


def test_facets_count_every_match_not_just_the_page(client, search_backend, four_items):
    body = get_json(client, SEARCH, {"page_size": 1})
    assert body["total"] == 4 and len(body["results"]) == 1
    facets = {name: {v["value"]: v["count"] for v in values} for name, values in body["facets"].items()}
    assert facets["region"] == {"41000": 2, "11000": 1}
    assert facets["type"] == {"case": 3, "community": 1}
    assert facets["stage"] == {"pilot": 2, "operation": 1}
    assert facets["lang"]["en"] == 1
    assert {"2023", "2025"} <= set(facets["year"]) and facets["year"]["2025"] >= 2
    labels = {v["value"]: v["label"] for v in body["facets"]["region"]}
    assert labels == {"41000": "경기도", "11000": "서울특별시"}


FILTERS = [
    ({}, {"suwon", "jongno", "gyeonggi", "signals-community"}),
    ({"region": "41000"}, {"suwon", "gyeonggi"}),
    ({"region": "경기도"}, {"suwon", "gyeonggi"}),
    ({"region": "gyeonggi-do"}, {"suwon", "gyeonggi"}),
    ({"municipality": "41110"}, {"suwon"}),
    ({"sector": "safety"}, {"jongno"}),
    ({"technology": "gis"}, {"jongno"}),
    ({"stage": "pilot"}, {"suwon", "gyeonggi"}),
    ({"type": "community"}, {"signals-community"}),
    ({"year": "2025", "type": "case"}, {"jongno", "gyeonggi"}),
    ({"lang": "en"}, {"jongno"}),
    ({"region": "41000", "stage": "pilot", "technology": "ai"}, {"suwon"}),
    ({"q": "crosswalk"}, {"jongno"}),
    ({"q": "crosswalk", "region": "41000"}, set()),
]


def test_filters(client, search_backend, four_items):
    # One index for every case: filling an index per case would triple this module's run time.
    wrong = {}
    for query, expected in FILTERS:
        body = get_json(client, SEARCH, query)
        found = {hit["key"] for hit in body["results"]}
        if found != expected or body["total"] != len(expected):
            wrong[str(query)] = (found, body["total"])
    assert not wrong


# Paging and sorting ---------------------------------------------------------


def test_pages_link_to_each_other_and_newest_sorts_by_publication(client, search_backend):
    for i in range(5):
        make_case(key=f"signal-{i}", title=f"교차로 신호 제어 {i}")
    index_now()

    first = get_json(client, SEARCH, {"q": "교차로", "sort": "newest", "page_size": 2})
    assert first["total"] == 5 and first["previous"] is None
    assert [hit["key"] for hit in first["results"]] == ["signal-4", "signal-3"]
    assert first["next"].startswith("http://testserver/api/v1/search/?")
    assert all(part in first["next"] for part in ("page=2", "page_size=2", "sort=newest", "q=%EA%B5%90%EC%B0%A8%EB%A1%9C"))

    second = get_json(client, first["next"])
    assert [hit["key"] for hit in second["results"]] == ["signal-2", "signal-1"]
    assert "page=1" in second["previous"] and "page=3" in second["next"]
    last = get_json(client, second["next"])
    assert [hit["key"] for hit in last["results"]] == ["signal-0"] and last["next"] is None

    # An empty query browses everything, newest first, whatever the sort asked for.
    assert search_keys(client, sort="relevance", page_size=3) == ["signal-4", "signal-3", "signal-2"]
    detail = get_json(client, SEARCH, {"q": "교차로", "page": 4, "page_size": 2}, status=400)["detail"]
    assert detail.startswith("page:") and "last page (3)" in detail


# Visibility -----------------------------------------------------------------


@pytest.fixture
def open_and_members_cases():
    make_case(key="open-crosswalk", title="스마트 횡단보도 공개 사례")
    make_case(key="members-crosswalk", title="스마트 횡단보도 회원 사례", visibility="members")
    make_case(key="draft-crosswalk", title="스마트 횡단보도 초안", publish=False)
    index_now()


def test_members_only_cases_need_an_approved_member(client, search_backend, open_and_members_cases):
    anonymous = get_json(client, SEARCH, {"q": "횡단보도"})
    assert [hit["key"] for hit in anonymous["results"]] == ["open-crosswalk"] and anonymous["total"] == 1
    assert {v["value"]: v["count"] for v in anonymous["facets"]["type"]} == {"case": 1}

    sign_in(client, role="pending")
    assert search_keys(client, q="횡단보도") == ["open-crosswalk"]

    sign_in(client)
    assert set(search_keys(client, q="횡단보도")) == {"open-crosswalk", "members-crosswalk"}


def test_suggest_never_offers_members_only_titles_to_anonymous(client, search_backend, open_and_members_cases):
    offered = {s["text"] for s in get_json(client, SUGGEST, {"q": "스마트 횡단"})["suggestions"]}
    assert offered == {"스마트 횡단보도 공개 사례"}
    sign_in(client)
    offered = {s["text"] for s in get_json(client, SUGGEST, {"q": "스마트 횡단"})["suggestions"]}
    assert offered == {"스마트 횡단보도 공개 사례", "스마트 횡단보도 회원 사례"}


# Suggestions ----------------------------------------------------------------


def test_suggest_completes_titles_by_prefix(client, search_backend):
    make_case(key="crosswalk", title="스마트 횡단보도로 어린이보호구역 보행 안전 강화")
    make_case(key="parking", title="공영주차장 공유 플랫폼")
    index_now()

    body = get_json(client, SUGGEST, {"q": "스마트횡"})
    assert body == {
        "suggestions": [
            {"text": "스마트 횡단보도로 어린이보호구역 보행 안전 강화", "type": "case", "url": "http://testserver/cases/crosswalk/"}
        ]
    }
    assert [s["text"] for s in get_json(client, SUGGEST, {"q": "공영주"})["suggestions"]] == ["공영주차장 공유 플랫폼"]
    assert get_json(client, SUGGEST, {"q": ""}) == {"suggestions": []}
    assert get_json(client, SUGGEST) == {"suggestions": []}
    assert get_json(client, SUGGEST, {"q": "없는제목"}) == {"suggestions": []}


# Similar cases --------------------------------------------------------------


@pytest.fixture
def related_cases():
    text = "어린이보호구역 횡단보도에 바닥 신호등과 음성 안내를 설치해 보행 사고를 줄였습니다."
    common = {"sector": "safety", "technologies": ("iot",), "summary": text}
    make_case(key="source", place_code="41110", title="수원 어린이보호구역 스마트 횡단보도", **common)
    make_case(key="same-region", place_code="41130", title="성남 어린이보호구역 스마트 횡단보도", **common)
    make_case(key="other-region", place_code="11110", title="종로 어린이보호구역 스마트 횡단보도", **common)
    make_case(key="members-only", place_code="26110", title="부산 어린이보호구역 스마트 횡단보도", visibility="members", **common)
    make_case(
        key="unrelated", place_code="11110", title="농촌 드론 방제", summary="드론으로 병해충을 방제합니다.", sector="agriculture-fisheries"
    )
    index_now()


def test_similar_cases_come_with_reasons_other_regions_first(client, search_backend, related_cases):
    results = get_json(client, "/api/v1/cases/source/similar/")["results"]
    keys = [r["key"] for r in results]
    assert set(keys) == {"same-region", "other-region"}, keys
    assert keys == ["other-region", "same-region"]
    other, same = results
    assert set(other) == HIT_FIELDS | {"same_region", "shared_sectors", "shared_technologies", "shared_terms", "reasons"}
    assert other["same_region"] is False and same["same_region"] is True
    assert other["shared_sectors"] == ["safety"] and other["shared_technologies"] == ["iot"]
    assert any("횡단" in term for term in other["shared_terms"]), other["shared_terms"]
    assert other["reasons"][0] == "분야: 안전" and any(reason.startswith("기술: IoT") for reason in other["reasons"])
    assert other["url"] == "http://testserver/cases/other-region/" and other["region"]["code"] == "11000"

    sign_in(client)
    assert "members-only" in {r["key"] for r in get_json(client, "/api/v1/cases/source/similar/")["results"]}


def test_similar_to_a_case_the_caller_may_not_read_is_404(client, search_backend, related_cases):
    assert get_json(client, "/api/v1/cases/members-only/similar/", status=404) == {"detail": "key: no case 'members-only'."}
    assert get_json(client, "/api/v1/cases/no-such-case/similar/", status=404) == {"detail": "key: no case 'no-such-case'."}
    sign_in(client)
    assert "source" in {r["key"] for r in get_json(client, "/api/v1/cases/members-only/similar/")["results"]}


# Bad parameters -------------------------------------------------------------

BAD_PARAMETERS = [
    ({"region": "99000"}, "region"),
    ({"region": "없는도"}, "region"),
    ({"region": "41110"}, "region"),
    ({"municipality": "99999"}, "municipality"),
    ({"sector": "no-such-sector"}, "sector"),
    ({"technology": "quantum"}, "technology"),
    ({"stage": "finished"}, "stage"),
    ({"type": "page"}, "type"),
    ({"lang": "fr"}, "lang"),
    ({"featured": "no"}, "featured"),
    ({"award": "no-such-award"}, "award"),
    ({"sort": "oldest"}, "sort"),
    ({"year": "abc"}, "year"),
    ({"year": "20"}, "year"),
    ({"page": "0"}, "page"),
    ({"page": "abc"}, "page"),
    ({"page_size": "1000"}, "page_size"),
    ({"page_size": "0"}, "page_size"),
    ({"page": "101", "page_size": "100"}, "page"),
    ({"page": "501", "page_size": "20"}, "page"),
]


def test_bad_parameters_are_400_naming_the_parameter(client, search_backend):
    make_case()
    index_now()
    for params, parameter in BAD_PARAMETERS:
        response = client.get(SEARCH, params)
        body = json.loads(response.content)
        assert response.status_code == 400 and set(body) == {"detail"}, (params, body)
        assert body["detail"].startswith(f"{parameter}:"), (params, body)


def test_no_next_link_to_a_page_past_the_result_window():
    """10,000 / 30 is not whole: page 333 ends at 9,990 and page 334 would reach past the window (a 400)."""
    from search.api import _next_reachable
    from search.service import SearchRequest, SearchResult

    def result(page):
        return SearchResult(request=SearchRequest(page=page, page_size=30), total=12_000, hits=[], facets={})

    assert _next_reachable(result(332)) and not _next_reachable(result(333))


# Hostile query text ---------------------------------------------------------

QUERY_SYNTAX = [
    "*",
    "*:*",
    "\\",
    '"',
    "<script>",
    '{"query":{"match_all":{}}}',
    "title:* OR *",
    "?",
    "_exists_:title",
    "/.*/",
    "((((",
]


def test_query_syntax_is_read_as_text(client, search_backend):
    make_case(key="crosswalk", title="스마트 횡단보도 설치", summary="보행자 안전")
    make_case(key="parking", title="공영주차장 공유", summary="주차 플랫폼")
    make_case(key="foo-bar", title="Foo bar baz report", summary="A foo and bar study.")
    index_now()

    for text in QUERY_SYNTAX:
        body = get_json(client, SEARCH, {"q": text})
        assert body["total"] == 0 and body["results"] == [], (text, body["results"])

    # Words inside query syntax are words: only the case that says them matches, never everything.
    body = get_json(client, SEARCH, {"q": 'title:foo AND (bar OR "baz"~2) sector:*'})
    assert {hit["key"] for hit in body["results"]} <= {"foo-bar"}
    assert get_json(client, SEARCH, {"q": "foo AND bar"})["results"][0]["key"] == "foo-bar"
    # A quoted phrase is the words of the phrase, not a phrase query that ES would parse.
    assert search_keys(client, q='"횡단보도"') == ["crosswalk"]
    # Suggestions take the same text without complaint.
    for text in QUERY_SYNTAX:
        assert get_json(client, SUGGEST, {"q": text})["suggestions"] == [], text


def test_long_queries_and_control_characters_get_a_clean_answer(client, search_backend):
    make_case(key="crosswalk", title="스마트 횡단보도 설치")
    index_now()

    long_query = ("횡단보도 " * 2000)[:10_000]
    assert len(long_query) == 10_000
    assert search_keys(client, q=long_query) == ["crosswalk"]
    assert get_json(client, SEARCH, {"q": "x" * 10_000})["total"] == 0
    assert "suggestions" in get_json(client, SUGGEST, {"q": long_query})

    for text in ("\x1b횡단보도", "횡단보도\u202e", "\u202e횡단보도\x00", "횡단보도\x07\x08", "\u200b횡단보도\ufeff"):
        assert search_keys(client, q=text) == ["crosswalk"], repr(text)
        assert [s["text"] for s in get_json(client, SUGGEST, {"q": text})["suggestions"]] == ["스마트 횡단보도 설치"], repr(text)
    for text in ("\x00", "\x00\x00\x00", "\u202e", "\x1b"):
        assert get_json(client, SEARCH, {"q": text})["total"] == 1  # nothing left to match: browse everything
        assert get_json(client, SUGGEST, {"q": text}) == {"suggestions": []}


# Elasticsearch down ---------------------------------------------------------


def test_elasticsearch_down_answers_503_with_a_reason(client, search_elasticsearch, settings):
    make_case(key="crosswalk", title="스마트 횡단보도 설치")
    index_now()
    settings.ELASTICSEARCH_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    get_backend.cache_clear()

    for path, params in ((SEARCH, {"q": "횡단보도"}), (SEARCH, {}), (SUGGEST, {"q": "스마트"}), ("/api/v1/cases/crosswalk/similar/", {})):
        response = client.get(path, params)
        assert response.status_code == 503, (path, response.content)
        assert json.loads(response.content) == {"detail": "search: the search index is not answering right now; try again shortly."}
        assert int(response["Retry-After"]) > 0
    # Parameters are still checked first: a bad one is the caller's to fix, whatever the backend's state.
    assert get_json(client, SEARCH, {"sector": "no-such-sector"}, status=400)["detail"].startswith("sector:")
    assert get_json(client, "/api/v1/cases/no-such-case/similar/", status=404)["detail"].startswith("key:")
    assert get_json(client, SUGGEST, {"q": ""}) == {"suggestions": []}


# Schema ---------------------------------------------------------------------


def test_openapi_schema_is_valid_and_describes_the_search_endpoints(client):
    from openapi_spec_validator import validate

    schema = get_json(client, "/api/v1/openapi.json")
    validate(schema)
    paths = schema["paths"]
    assert {"/api/v1/search/", "/api/v1/suggest/", "/api/v1/cases/{key}/similar/"} <= set(paths)
    search = paths["/api/v1/search/"]["get"]
    parameters = {p["name"]: p for p in search["parameters"]}
    expected = {"q", "region", "municipality", "sector", "technology", "stage", "type", "year", "lang", "featured", "award"}
    expected |= {"sort", "page", "page_size"}
    assert expected == set(parameters)
    assert all(p.get("description") for p in parameters.values())
    assert {"200", "400", "503"} <= set(search["responses"])
    assert {"200", "404", "503"} <= set(paths["/api/v1/cases/{key}/similar/"]["get"]["responses"])
    hit = schema["components"]["schemas"]["SearchHitOut"]
    assert set(hit["properties"]) == HIT_FIELDS and all(p.get("description") for p in hit["properties"].values())
    assert set(schema["components"]["schemas"]["FacetsOut"]["properties"]) == set(FACETS)
