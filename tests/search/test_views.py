"""The search page (/search/) and the similar-projects block of case pages, on both search backends."""

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from bs4 import BeautifulSoup
from django.test import override_settings

from tests.conftest import free_port
from tests.factories import make_case, make_community, make_user
from tests.search_helpers import index_now
from tests.xss import executable_parts

pytestmark = pytest.mark.django_db

SEARCH = "/search/"


# Reading the page ----------------------------------------------------------------------------------------------


def open_page(client, target="", status=200) -> BeautifulSoup:
    """GET /search/ with a query string ("?q=..." as the page's own links carry it, or a dict)."""
    response = client.get(SEARCH + target) if isinstance(target, str) else client.get(SEARCH, target)
    assert response.status_code == status, response.content.decode()[:3000]
    return BeautifulSoup(response.content, "html.parser")


def titles(soup) -> list[str]:
    return [link.get_text(strip=True) for link in soup.select(".results .result__title a")]


def facet(soup, name) -> dict[str, tuple[int, str]]:
    """label → (count, href) of one facet group; {} when the page does not show that group."""
    group = soup.select_one(f"section.facet[aria-labelledby=facet-{name}]")
    if group is None:
        return {}
    values = {}
    for link in group.select("a.facet__value"):
        count = int(re.match(r"\d+", link.select_one(".facet__count").get_text(strip=True)).group())
        values[link.select_one(".facet__label").get_text(strip=True)] = (count, link["href"])
    return values


def chips(soup) -> dict[str, str]:
    """Active filter chip text ("시도: 경기도") → the href that removes it."""
    found = {}
    for link in soup.select(".active-filters a.chip--removable"):
        visible = "".join(str(part) for part in link.find_all(string=True, recursive=False)).strip()
        found[visible] = link["href"]
    return found


def notices(soup) -> list[str]:
    return [item.get_text(" ", strip=True) for item in soup.select(".search-notices li")]


def params(href: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(href).query))


def count_text(soup) -> str:
    return soup.select_one(".result-count").get_text(" ", strip=True)


# Content -------------------------------------------------------------------------------------------------------


@pytest.fixture
def crosswalks():
    """Three crosswalk projects in two 시도 and an unrelated one, plus a community that mentions crosswalks."""
    make_case(
        key="suwon-crosswalk",
        title="스마트 횡단보도로 어린이 보행 안전 강화",
        summary="수원시는 횡단보도 바닥 신호등과 음성 안내로 어린이 보행 사고를 줄였습니다.",
        place_code="41110",
        sector="safety",
        stage="operation",
        technologies=("iot", "ai"),
        start_year=2023,
    )
    make_case(
        key="seongnam-crosswalk",
        title="성남 스마트 횡단보도 확대",
        summary="성남시는 횡단보도 보행 신호를 AI로 늘립니다.",
        place_code="41130",
        sector="safety",
        stage="pilot",
        technologies=("ai",),
        start_year=2025,
    )
    make_case(
        key="haeundae-crosswalk",
        title="Smart crosswalk near Haeundae beach",
        summary="Haeundae-gu added smart 횡단보도 signals for tourists.",
        place_code="26350",
        sector="urban-transport",
        stage="pilot",
        technologies=("iot",),
        language="en",
        start_year=2025,
    )
    make_case(
        key="goesan-drones",
        title="드론 공동 방제",
        summary="드론으로 병해충을 방제합니다.",
        place_code="11110",
        sector="agriculture-fisheries",
        technologies=("drones",),
    )
    make_community(slug="crosswalk-community", title="횡단보도 실무자 모임")
    index_now()


# Facets, filters and chips -------------------------------------------------------------------------------------


def test_facets_show_counts_and_their_links_filter(client, search_backend, crosswalks):
    soup = open_page(client, "?q=횡단보도")
    assert sorted(titles(soup)) == sorted(
        [
            "스마트 횡단보도로 어린이 보행 안전 강화",
            "성남 스마트 횡단보도 확대",
            "Smart crosswalk near Haeundae beach",
            "횡단보도 실무자 모임",
        ]
    )
    assert "4건" in count_text(soup)
    regions = facet(soup, "region")
    assert {label: count for label, (count, _href) in regions.items()} == {"경기도": 2, "부산광역시": 1}
    assert {label: count for label, (count, _href) in facet(soup, "type").items()} == {"사례": 3, "커뮤니티": 1}
    assert facet(soup, "sector")["안전"][0] == 2 and facet(soup, "technology")["IoT"][0] == 2
    assert facet(soup, "lang")["English"][0] == 1 and facet(soup, "year")["2025"][0] == 2
    # 시군구 appear once a 시도 narrows them.
    assert facet(soup, "municipality") == {}

    _count, gyeonggi = regions["경기도"]
    assert params(gyeonggi) == {"q": "횡단보도", "region": "41000"}
    soup = open_page(client, gyeonggi)
    assert sorted(titles(soup)) == ["성남 스마트 횡단보도 확대", "스마트 횡단보도로 어린이 보행 안전 강화"]
    assert list(chips(soup)) == ["시도: 경기도"]
    municipalities = facet(soup, "municipality")
    assert {label: count for label, (count, _href) in municipalities.items()} == {"경기도 수원시": 1, "경기도 성남시": 1}

    soup = open_page(client, municipalities["경기도 수원시"][1])
    assert titles(soup) == ["스마트 횡단보도로 어린이 보행 안전 강화"]
    assert set(chips(soup)) == {"시도: 경기도", "시군구: 경기도 수원시"}
    # The active value is marked and its link takes the filter off again.
    active = soup.select_one("section.facet[aria-labelledby=facet-municipality] a[aria-current=true]")
    assert active is not None and params(active["href"]) == {"q": "횡단보도", "region": "41000"}

    # Removing the 시도 chip removes the 시군구 inside it as well.
    soup = open_page(client, chips(soup)["시도: 경기도"])
    assert len(titles(soup)) == 4 and chips(soup) == {}


FILTER_CASES = [
    ({"sector": "safety"}, {"스마트 횡단보도로 어린이 보행 안전 강화", "성남 스마트 횡단보도 확대"}),
    ({"technology": "iot"}, {"스마트 횡단보도로 어린이 보행 안전 강화", "Smart crosswalk near Haeundae beach"}),
    ({"stage": "operation"}, {"스마트 횡단보도로 어린이 보행 안전 강화"}),
    ({"type": "community"}, {"횡단보도 실무자 모임"}),
    ({"year": "2023"}, {"스마트 횡단보도로 어린이 보행 안전 강화"}),
    ({"lang": "en"}, {"Smart crosswalk near Haeundae beach"}),
    ({"municipality": "26350"}, {"Smart crosswalk near Haeundae beach"}),
]


def test_each_filter_narrows_the_results_and_shows_a_chip(client, search_backend, crosswalks):
    for query, expected in FILTER_CASES:
        soup = open_page(client, {"q": "횡단보도", **query})
        assert set(titles(soup)) == expected, query
        ((_chip, remove),) = chips(soup).items()
        assert params(remove) == {"q": "횡단보도"}, query


def test_results_show_type_place_sector_technologies_stage_year_and_highlighted_snippet(client, search_backend):
    make_case(
        key="suwon-crosswalk",
        title="스마트 횡단보도 설치",
        summary="횡단보도에 <script>alert('x')</script> 바닥 신호등을 <img src=x onerror=alert(1)> 달았습니다.",
        place_code="41110",
        sector="safety",
        stage="operation",
        technologies=("iot", "ai"),
        start_year=2024,
    )
    index_now()
    soup = open_page(client, {"q": "횡단보도"})
    (result,) = soup.select(".results .result")
    meta = result.select_one(".result__meta").get_text(" ", strip=True)
    for expected in ("사례", "경기도 수원시", "안전", "운영", "2024"):
        assert expected in meta, meta
    link = result.select_one(".result__title a")
    assert link["href"] == "/cases/suwon-crosswalk/" and link.get_text(strip=True) == "스마트 횡단보도 설치"
    assert {chip.get_text(strip=True) for chip in result.select(".chips .chip")} == {"IoT", "AI"}
    snippet = result.select_one(".result__snippet")
    # The written word is marked, particle and all (횡단보도에).
    marks = [mark.get_text() for mark in snippet.select("mark")]
    assert marks and all(mark.startswith("횡단보도") for mark in marks)
    # The stored text is escaped: the markup a writer typed is shown as text, never run.
    assert executable_parts(str(soup.select_one(".search-results"))) == []
    assert "<img src=x onerror=alert(1)>" in snippet.get_text()


def test_members_only_items_are_not_shown_or_counted_for_visitors(client, search_backend):
    make_case(key="open", title="공개 횡단보도 사례", place_code="41110")
    make_case(key="closed", title="회원 전용 횡단보도 사례", place_code="26350", visibility="members")
    index_now()
    soup = open_page(client, {"q": "횡단보도"})
    assert titles(soup) == ["공개 횡단보도 사례"]
    assert "부산광역시" not in facet(soup, "region") and "1건" in count_text(soup)
    assert "회원 전용 횡단보도 사례" not in str(soup)

    client.force_login(make_user())
    soup = open_page(client, {"q": "횡단보도"})
    assert set(titles(soup)) == {"공개 횡단보도 사례", "회원 전용 횡단보도 사례"}
    assert facet(soup, "region")["부산광역시"][0] == 1


# Sort and pages ------------------------------------------------------------------------------------------------


def test_sort_by_relevance_or_newest(client, search_backend):
    make_case(key="older", title="미세먼지 측정망", summary="미세먼지 측정기로 미세먼지 지도를 만듭니다.")
    make_case(key="newer", title="도시 환경 대시보드", summary="대기 자료 가운데 미세먼지도 보여 줍니다.")
    index_now()
    soup = open_page(client, {"q": "미세먼지"})
    assert titles(soup) == ["미세먼지 측정망", "도시 환경 대시보드"]
    links = {a.get_text(strip=True): a for a in soup.select(".sort-switch a")}
    assert links["관련도순"].get("aria-current") == "true" and links["최신순"].get("aria-current") is None
    assert params(links["최신순"]["href"]) == {"q": "미세먼지", "sort": "newest"}

    soup = open_page(client, links["최신순"]["href"])
    assert titles(soup) == ["도시 환경 대시보드", "미세먼지 측정망"]
    assert soup.select_one(".sort-switch a[aria-current=true]").get_text(strip=True) == "최신순"
    # Without search words there is nothing to rank: everything, newest first, no switch.
    soup = open_page(client, {})
    assert titles(soup) == ["도시 환경 대시보드", "미세먼지 측정망"] and soup.select(".sort-switch") == []


def test_pagination_links_through_every_page(client, search_sqlite):
    for n in range(21):
        make_case(key=f"signal-{n:02}", title=f"스마트 신호 사업 {n:02}", start_year=2020 + n % 5)
    index_now()
    soup = open_page(client, {"q": "신호"})
    assert len(titles(soup)) == 20 and "21건" in count_text(soup)
    pager = soup.select_one("nav .pagination")
    assert "1 / 2 페이지" in pager.get_text(" ", strip=True) and pager.select_one("a[rel=prev]") is None
    next_href = pager.select_one("a[rel=next]")["href"]
    assert params(next_href) == {"q": "신호", "page": "2"}

    soup = open_page(client, next_href)
    second = titles(soup)
    assert len(second) == 1 and soup.select_one("ol.results")["start"] == "21"
    assert params(soup.select_one("nav .pagination a[rel=prev]")["href"]) == {"q": "신호", "page": "1"}
    first = titles(open_page(client, {"q": "신호"}))
    assert set(first).isdisjoint(second) and len(set(first) | set(second)) == 21

    # A page past the last shows the last one and says so.
    soup = open_page(client, {"q": "신호", "page": "7"})
    assert titles(soup) == second and any("2 페이지까지" in n for n in notices(soup))


# Empty results -------------------------------------------------------------------------------------------------


def test_an_empty_result_names_each_filter_and_links_to_the_search_without_it(client, search_backend, crosswalks):
    soup = open_page(client, {"q": "횡단보도", "region": "26000", "sector": "safety"})
    assert titles(soup) == [] and "0건" in count_text(soup)
    empty = soup.select_one(".search-empty")
    assert "‘횡단보도’에 맞는 결과가 없습니다." in empty.get_text(" ", strip=True)
    options = {a.get_text(" ", strip=True): a["href"] for a in empty.select(".search-empty__options a")}
    assert set(options) == {"시도: 부산광역시 조건 빼고 검색", "분야: 안전 조건 빼고 검색", "조건을 모두 빼고 검색"}
    assert params(options["시도: 부산광역시 조건 빼고 검색"]) == {"q": "횡단보도", "sector": "safety"}
    # Each suggestion says how many results it would give.
    remaining = {
        li.a.get_text(" ", strip=True): li.select_one(".meta").get_text(strip=True) for li in empty.select("li") if li.select_one(".meta")
    }
    assert remaining == {"시도: 부산광역시 조건 빼고 검색": "(결과 2건)", "분야: 안전 조건 빼고 검색": "(결과 1건)"}

    soup = open_page(client, options["시도: 부산광역시 조건 빼고 검색"])
    assert len(titles(soup)) == 2
    soup = open_page(client, options["조건을 모두 빼고 검색"])
    assert len(titles(soup)) == 4


def test_an_empty_text_only_search_suggests_other_words(client, search_sqlite, crosswalks):
    soup = open_page(client, {"q": "존재하지않는낱말xyz"})
    empty = soup.select_one(".search-empty")
    assert "다른 낱말" in empty.get_text() and empty.select(".search-empty__options") == []


# Shareable URLs ------------------------------------------------------------------------------------------------


def test_every_state_is_a_plain_url_that_reopens_the_same_page(client, search_backend, crosswalks):
    state = "?q=%ED%9A%A1%EB%8B%A8%EB%B3%B4%EB%8F%84&region=41000&sector=safety&sort=newest"
    soup = open_page(client, state)
    assert titles(soup) == ["성남 스마트 횡단보도 확대", "스마트 횡단보도로 어린이 보행 안전 강화"]
    assert set(chips(soup)) == {"시도: 경기도", "분야: 안전"}

    # The search form carries the whole state: submitting it again (a new search word keeps the filters) is the
    # same page, and its fields are exactly the URL's parameters.
    form = soup.select_one("form.search-form")
    assert form["method"] == "get" and form["action"] == SEARCH
    fields = [(field["name"], field.get("value", "")) for field in form.select("input[name]")]
    assert dict(fields) == {"q": "횡단보도", "region": "41000", "sector": "safety", "sort": "newest"} == params(state)
    again = client.get(SEARCH, dict(fields))
    assert titles(BeautifulSoup(again.content, "html.parser")) == titles(soup)

    # Every link on the page that changes the state keeps the rest of it.
    technology = facet(soup, "technology")["AI"][1]
    assert params(technology) == {"q": "횡단보도", "region": "41000", "sector": "safety", "technology": "ai", "sort": "newest"}
    relevance = next(a["href"] for a in soup.select(".sort-switch a") if a.get_text(strip=True) == "관련도순")
    assert params(relevance) == {"q": "횡단보도", "region": "41000", "sector": "safety"}
    # The same state always has the same URL, whatever order the parameters came in.
    shuffled = open_page(client, "?sort=newest&sector=safety&region=41000&q=%ED%9A%A1%EB%8B%A8%EB%B3%B4%EB%8F%84")
    assert facet(shuffled, "technology")["AI"][1] == technology


# Bad parameters ------------------------------------------------------------------------------------------------


# (query string, the notice it gives, the filter chip left standing)
BAD_PARAMETERS = [
    ({"region": "99999"}, "시도 ‘99999’는 알 수 없는 값이라 빼고 검색했습니다.", None),
    ({"region": "서울"}, "시도 ‘서울’는 알 수 없는 값이라 빼고 검색했습니다.", None),
    ({"municipality": "41110'; DROP TABLE"}, "시군구 ‘41110'; DROP TABLE’는 알 수 없는 값이라", None),
    ({"sector": "nope", "stage": "pilot"}, "분야 ‘nope’는 알 수 없는 값이라", "단계: 실증"),
    ({"technology": "<b>x</b>"}, "기술 ‘<b>x</b>’는 알 수 없는 값이라", None),
    ({"type": "page"}, "유형 ‘page’는 알 수 없는 값이라", None),
    ({"year": "abc"}, "연도 ‘abc’는 알 수 없는 값이라", None),
    ({"year": "30000"}, "연도 ‘30000’는 알 수 없는 값이라", None),
    ({"lang": "fr"}, "언어 ‘fr’는 알 수 없는 값이라", None),
    ({"sort": "x"}, "정렬 방식 ‘x’는 없어 관련도순으로", None),
    ({"page": "abc"}, "페이지 번호 ‘abc’를 읽을 수 없어 첫 페이지를", None),
    ({"page": "0"}, "페이지 번호는 1부터 시작해", None),
    ({"page": "-3"}, "페이지 번호는 1부터 시작해", None),
    ({"page": "100000"}, "10,000번째까지만 볼 수 있어 500 페이지를", None),
    ({"page": "2"}, "1 페이지까지 있어 마지막 페이지를", None),
    ({"region": "99999", "sector": "nope", "sort": "x", "page": "abc"}, "분야 ‘nope’는 알 수 없는 값이라", None),
]


def test_bad_parameters_are_dropped_with_a_clear_notice(client, search_sqlite):
    make_case(key="crosswalk", title="스마트 횡단보도 설치", stage="pilot")
    index_now()
    for query, notice, chip_left in BAD_PARAMETERS:
        soup = open_page(client, {"q": "횡단보도", **query})
        assert any(notice in text for text in notices(soup)), (query, notices(soup))
        assert titles(soup) == ["스마트 횡단보도 설치"], query
        assert list(chips(soup)) == ([chip_left] if chip_left else []), query
        # What a visitor typed comes back as text only.
        assert soup.select(".search-notices b") == [], query
    # Without search words the page is newest first, and the notice says so.
    soup = open_page(client, {"sort": "x"})
    assert any("최신순으로 보여 드립니다" in text for text in notices(soup))


def test_any_query_text_is_searched_as_text(client, search_sqlite):
    make_case(key="crosswalk", title="스마트 횡단보도 설치")
    index_now()
    for text in ("횡단보도*", '"횡단보도', "횡단보도)", "(횡단보도)", "횡단보도!!"):
        assert titles(open_page(client, {"q": text})) == ["스마트 횡단보도 설치"], text
    for text in ("AND OR NOT (", "title:횡단보도", "횡단보도" * 400, "<script>alert(1)</script>", "\x00\x1b", "%00", "a" * 5000):
        soup = open_page(client, {"q": text})
        assert executable_parts(str(soup.select_one(".search-results"))) == [], text


# Elasticsearch down --------------------------------------------------------------------------------------------


def test_elasticsearch_down_gives_a_friendly_page_and_case_pages_still_render(client, search_elasticsearch):
    case = make_case(key="crosswalk", title="스마트 횡단보도 설치", place_code="41110", sector="safety")
    index_now()
    with override_settings(ELASTICSEARCH_URL=f"http://127.0.0.1:{free_port()}"):
        soup = open_page(client, {"q": "횡단보도", "region": "41000", "sector": "safety"}, status=503)
        message = soup.select_one(".search-unavailable")
        assert message is not None and "지금은 검색을 쓸 수 없습니다" in message.get_text()
        # A way round: the case list (read from the database) with the same filters.
        assert message.select_one("a")["href"] == "/cases/?region=41000&sector=safety"
        assert soup.select_one("input#search-q")["value"] == "횡단보도"

        response = client.get(case.url)
        assert response.status_code == 200
        page = BeautifulSoup(response.content, "html.parser")
        assert page.select_one("h1").get_text(strip=True) == "스마트 횡단보도 설치"
        similar = page.select_one("section.similar")
        assert "지금은 비슷한 프로젝트를 불러올 수 없습니다" in similar.get_text()


# Similar projects ----------------------------------------------------------------------------------------------


def similar_block(client, case) -> list[dict]:
    response = client.get(case.url)
    assert response.status_code == 200
    section = BeautifulSoup(response.content, "html.parser").select_one("section.similar")
    return [
        {
            "title": item.select_one("h3 a").get_text(strip=True),
            "href": item.select_one("h3 a")["href"],
            "badge": item.select_one(".badge").get_text(strip=True),
            "reasons": [li.get_text(strip=True) for li in item.select(".similar__reasons li")],
        }
        for item in section.select(".similar__item")
    ]


def test_case_page_lists_similar_projects_from_other_regions_first_with_reasons(client, search_backend):
    source = make_case(
        key="suwon-crosswalk",
        title="스마트 횡단보도 어린이 보행 안전",
        summary="횡단보도 바닥 신호등과 음성 안내로 어린이 보행 사고를 줄입니다.",
        place_code="41110",
        sector="safety",
        technologies=("iot",),
    )
    # The same 시도 and nearly the same words: the most similar, but shown after the other regions.
    make_case(
        key="seongnam-crosswalk",
        title="스마트 횡단보도 어린이 보행 안전 확대",
        summary="횡단보도 바닥 신호등과 음성 안내로 어린이 보행 사고를 줄입니다.",
        place_code="41130",
        sector="safety",
        technologies=("iot",),
    )
    make_case(
        key="haeundae-crosswalk",
        title="해운대 스마트 횡단보도",
        summary="횡단보도 바닥 신호등을 설치했습니다.",
        place_code="26350",
        sector="safety",
        technologies=("iot",),
    )
    make_case(
        key="busan-members",
        title="부산 스마트 횡단보도 어린이 보행",
        summary="횡단보도 바닥 신호등",
        place_code="26350",
        sector="safety",
        visibility="members",
    )
    make_case(
        key="drones",
        title="드론 공동 방제",
        summary="드론으로 병해충을 방제합니다.",
        place_code="43760",
        sector="agriculture-fisheries",
        technologies=("drones",),
    )
    index_now()

    items = similar_block(client, source)
    assert [item["href"] for item in items] == ["/cases/haeundae-crosswalk/", "/cases/seongnam-crosswalk/"]
    other, same = items
    assert other["badge"] == "다른 지역" and same["badge"] == "같은 지역"
    assert "분야: 안전" in other["reasons"] and "기술: IoT" in other["reasons"]
    shared = next(reason for reason in other["reasons"] if reason.startswith("공통 주제어: "))
    assert "횡단보도" in shared

    client.force_login(make_user())
    members_view = [item["href"] for item in similar_block(client, source)]
    assert set(members_view[:2]) == {"/cases/haeundae-crosswalk/", "/cases/busan-members/"}
    assert members_view[2:] == ["/cases/seongnam-crosswalk/"]
