"""Exports of the search result (/search/export.csv, .xlsx, .json) on both search backends."""

import csv
import io
import json

import pytest
from bs4 import BeautifulSoup
from django.test import override_settings
from openpyxl import load_workbook

from search import exports
from tests.conftest import free_port
from tests.factories import make_case, make_user
from tests.search_helpers import index_now

pytestmark = pytest.mark.django_db

HEADERS = ["유형", "키", "제목", "주소", "시도", "시군구", "분야", "기술", "단계", "연도", "언어", "게시일", "요약"]


@pytest.fixture
def gyeonggi_and_seoul():
    """Two public 경기도 safety cases, one members-only 경기도 safety case, and cases that the filters leave out."""
    make_case(
        key="suwon-crosswalk",
        title='=HYPERLINK("http://evil") 수원 스마트 횡단보도',
        place_code="41110",
        sector="safety",
        technologies=("iot", "ai"),
        start_year=2023,
        summary="바닥 신호등을 설치했습니다.",
    )
    make_case(key="seongnam-cctv", title="성남 지능형 CCTV", place_code="41130", sector="safety", technologies=("ai",))
    make_case(key="gyeonggi-members", title="경기 회원 공개 안전 사업", place_code="41000", sector="safety", visibility="members")
    make_case(key="gyeonggi-bus", title="경기 수요응답 버스", place_code="41110", sector="urban-transport")
    make_case(key="seoul-safety", title="종로 안심 귀갓길", place_code="11110", sector="safety")
    make_case(key="draft-safety", title="초안 안전 사업", place_code="41110", sector="safety", publish=False)
    index_now()


def csv_rows(response) -> list[dict]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # so that Excel reads the file as UTF-8
    reader = csv.reader(io.StringIO(text[1:]))
    header = next(reader)
    assert header == HEADERS
    return [dict(zip(header, row, strict=True)) for row in reader]


def xlsx_rows(response) -> list[dict]:
    workbook = load_workbook(io.BytesIO(response.content))
    rows = list(workbook["검색 결과"].iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    return [dict(zip(HEADERS, row, strict=True)) for row in rows[1:]]


def export(client, fmt: str, params: dict, status: int = 200):
    response = client.get(f"/search/export.{fmt}", params)
    assert response.status_code == status, response.content.decode()[:2000]
    return response


def test_every_format_holds_exactly_the_filtered_results_the_viewer_may_see(client, search_backend, gyeonggi_and_seoul):
    params = {"region": "41000", "sector": "safety"}
    public = {"suwon-crosswalk", "seongnam-cctv"}

    assert {row["키"] for row in csv_rows(export(client, "csv", params))} == public
    assert {row["키"] for row in xlsx_rows(export(client, "xlsx", params))} == public
    document = json.loads(export(client, "json", params).content)
    assert {row["key"] for row in document["results"]} == public
    assert document["total"] == document["count"] == 2 and document["truncated"] is False
    assert document["query"] == {"q": "", "region": "41000", "sector": "safety", "sort": "relevance"}

    client.force_login(make_user(role="member"))
    assert {row["키"] for row in csv_rows(export(client, "csv", params))} == public | {"gyeonggi-members"}
    assert {row["key"] for row in json.loads(export(client, "json", params).content)["results"]} == public | {"gyeonggi-members"}


def test_rows_carry_labels_absolute_urls_and_no_formulas(client, search_backend, gyeonggi_and_seoul):
    params = {"q": "횡단보도"}
    [row] = csv_rows(export(client, "csv", params))
    assert row["제목"].startswith("'=HYPERLINK")  # a title starting with "=" is text in Excel, not a formula
    assert row["주소"] == "http://testserver/cases/suwon-crosswalk/"
    assert (row["유형"], row["시도"], row["시군구"], row["분야"], row["단계"], row["연도"], row["언어"]) == (
        "case",
        "경기도",
        "경기도 수원시",
        "안전",
        "실증",
        "2023",
        "ko",
    )
    assert set(row["기술"].split("; ")) == {"AI", "IoT"}
    assert row["요약"] == "바닥 신호등을 설치했습니다." and row["게시일"].startswith("20")

    [cells] = xlsx_rows(export(client, "xlsx", params))
    assert cells["제목"].startswith("=HYPERLINK") and cells["연도"] == 2023
    workbook = load_workbook(io.BytesIO(export(client, "xlsx", params).content))
    assert workbook["검색 결과"]["C2"].data_type == "s"  # stored as text, never as a formula
    about = dict(workbook["정보"].iter_rows(values_only=True))
    assert about["검색어"] == "횡단보도" and about["전체 결과"] == 1

    [item] = json.loads(export(client, "json", params).content)["results"]
    assert set(item) == {
        "type",
        "key",
        "title",
        "url",
        "region",
        "municipality",
        "sectors",
        "technologies",
        "stage",
        "year",
        "language",
        "published_at",
        "summary",
    }
    assert item["sectors"] == ["안전"] and item["year"] == 2023


def test_downloads_are_named_with_the_date(client, search_sqlite, gyeonggi_and_seoul):
    for fmt, content_type in (("csv", "text/csv"), ("xlsx", "application/vnd.openxmlformats"), ("json", "application/json")):
        response = export(client, fmt, {"sector": "safety"})
        assert response["Content-Type"].startswith(content_type)
        assert response["Content-Disposition"].startswith('attachment; filename="gachi-hub-search-20')
        assert response["Content-Disposition"].endswith(f'.{fmt}"')


def test_all_pages_are_exported_in_chunks_up_to_the_cap(client, search_backend, gyeonggi_and_seoul, monkeypatch):
    monkeypatch.setattr(exports, "EXPORT_CHUNK", 2)
    everything = {"suwon-crosswalk", "seongnam-cctv", "gyeonggi-bus", "seoul-safety"}
    assert {row["키"] for row in csv_rows(export(client, "csv", {"type": "case"}))} == everything
    monkeypatch.setattr(exports, "EXPORT_CAP", 3)
    document = json.loads(export(client, "json", {"type": "case"}).content)
    assert (document["total"], document["count"], document["truncated"], document["cap"]) == (4, 3, True, 3)
    assert len({row["key"] for row in document["results"]}) == 3  # no item twice across the chunks


def test_the_search_page_links_to_the_exports_with_its_filters(client, search_sqlite, gyeonggi_and_seoul):
    soup = BeautifulSoup(client.get("/search/", {"q": "안전", "region": "41000", "page": "1"}).content, "html.parser")
    links = {a.get_text(strip=True): a["href"] for a in soup.select(".export-links a")}
    assert links == {
        "CSV": "/search/export.csv?q=%EC%95%88%EC%A0%84&region=41000",
        "엑셀": "/search/export.xlsx?q=%EC%95%88%EC%A0%84&region=41000",
        "JSON": "/search/export.json?q=%EC%95%88%EC%A0%84&region=41000",
    }
    assert "10,000" in soup.select_one(".export-links").get_text()


@pytest.mark.parametrize(
    ("params", "fmt", "reason"),
    [
        ({"region": "99999"}, "csv", "시도 ‘99999’는 알 수 없는 값입니다"),
        ({"sector": "nope"}, "xlsx", "분야 ‘nope’는 알 수 없는 값입니다"),
        ({"year": "abc"}, "csv", "연도 ‘abc’는 알 수 없는 값입니다"),
        ({"q": "안전", "sort": "oldest"}, "csv", "정렬 방식 ‘oldest’는 없습니다"),
        ({}, "pdf", "내보내기 형식 ‘pdf’는 없습니다"),
    ],
)
def test_bad_parameters_answer_400_with_the_reason(client, search_sqlite, params, fmt, reason):
    response = export(client, fmt, params, status=400)
    assert reason in BeautifulSoup(response.content, "html.parser").select_one(".export-error").get_text()


def test_bad_parameters_of_a_json_export_answer_json(client, search_sqlite):
    response = export(client, "json", {"technology": "steam-engine"}, status=400)
    assert response.json() == {"detail": "기술 ‘steam-engine’는 알 수 없는 값입니다."}


def test_a_search_outage_answers_503_with_the_friendly_page(client, search_elasticsearch, gyeonggi_and_seoul):
    with override_settings(ELASTICSEARCH_URL=f"http://127.0.0.1:{free_port()}"):
        response = export(client, "csv", {"region": "41000"}, status=503)
    assert response["Retry-After"] == "60"
    assert "지금은 검색을 쓸 수 없습니다" in BeautifulSoup(response.content, "html.parser").select_one(".search-unavailable").get_text()
