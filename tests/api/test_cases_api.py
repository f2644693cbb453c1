import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.importing import foreign_city_get_or_create
from cases.models import CaseAsset, CaseOutcomeIndicator
from hub.models import Place
from tests.factories import make_case, make_user

pytestmark = pytest.mark.django_db

LIST = "/api/v1/cases/"


def get_json(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


def keys(client, url):
    return {item["key"] for item in get_json(client, url)["results"]}


def enrich(case, *, tag="교통", participating=("11140",)):
    """Give a case the list fields the API prefetches: tags, indicators, participating places."""
    case.tags.add(tag)
    case.participating_places.set(Place.objects.filter(code__in=participating))
    case.indicators = [CaseOutcomeIndicator(label="평균 대기시간", value="23", unit="% 감소")]
    case.save_revision().publish()
    return case


# Pagination -----------------------------------------------------------------


def test_list_pages_with_absolute_links_newest_first(client):
    made = [make_case(key=f"p-{i}") for i in range(5)]
    first = get_json(client, f"{LIST}?page_size=2")
    assert first["count"] == 5 and first["previous"] is None
    assert [c["key"] for c in first["results"]] == ["p-4", "p-3"]
    assert first["next"].startswith("http://testserver/api/v1/cases/?") and "page=2" in first["next"] and "page_size=2" in first["next"]

    second = get_json(client, first["next"])
    assert [c["key"] for c in second["results"]] == ["p-2", "p-1"]
    assert "page=1" in second["previous"] and "page=3" in second["next"]

    last = get_json(client, second["next"])
    assert [c["key"] for c in last["results"]] == ["p-0"] and last["next"] is None
    assert len(made) == 5


def test_default_page_size_is_20(client):
    for _ in range(21):
        make_case()
    page = get_json(client, LIST)
    assert page["count"] == 21 and len(page["results"]) == 20 and page["next"]


def test_empty_list_is_an_empty_first_page(client):
    assert get_json(client, LIST) == {"count": 0, "next": None, "previous": None, "results": []}


def test_filters_keep_other_query_parameters_in_links(client):
    for _ in range(3):
        make_case(sector="safety")
    make_case(sector="tourism")
    page = get_json(client, f"{LIST}?sector=safety&page_size=2")
    assert page["count"] == 3 and "sector=safety" in page["next"]


# Filters --------------------------------------------------------------------


@pytest.fixture
def three_cases():
    make_case(key="suwon", place_code="41110", sector="urban-transport", stage="pilot", technologies=("ai",), start_year=2023)
    make_case(
        key="jongno", place_code="11110", sector="safety", stage="operation", technologies=("iot", "gis"), language="en", start_year=2025
    )
    make_case(key="gyeonggi", place_code="41000", sector="health-welfare", stage="pilot", technologies=(), start_year=2025)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"suwon", "jongno", "gyeonggi"}),
        ("region=41000", {"suwon", "gyeonggi"}),
        ("region=경기도", {"suwon", "gyeonggi"}),
        ("region=gyeonggi-do", {"suwon", "gyeonggi"}),
        ("region=11000", {"jongno"}),
        ("municipality=41110", {"suwon"}),
        ("municipality=41130", set()),
        ("sector=safety", {"jongno"}),
        ("stage=pilot", {"suwon", "gyeonggi"}),
        ("technology=gis", {"jongno"}),
        ("lang=en", {"jongno"}),
        ("lang=ko", {"suwon", "gyeonggi"}),
        ("year=2025", {"jongno", "gyeonggi"}),
        ("year=2025&region=41000", {"gyeonggi"}),
        ("region=41000&stage=pilot&technology=ai", {"suwon"}),
    ],
)
def test_list_filters(client, three_cases, query, expected):
    assert keys(client, f"{LIST}?{query}") == expected


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("sector=no-such-sector", "sector"),
        ("stage=finished", "stage"),
        ("technology=quantum", "technology"),
        ("region=99000", "region"),
        ("region=41110", "region"),
        ("region=없는도", "region"),
        ("municipality=41000", "municipality"),
        ("municipality=4111", "municipality"),
        ("lang=fr", "lang"),
        ("year=abc", "year"),
        ("year=20", "year"),
        ("page=0", "page"),
        ("page=abc", "page"),
        ("page=2", "page"),
        ("page_size=1000", "page_size"),
        ("page_size=0", "page_size"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(client, query, parameter):
    make_case()
    body = get_json(client, f"{LIST}?{query}", status=400)
    assert set(body) == {"detail"}
    assert body["detail"].startswith(f"{parameter}:"), body


def test_unknown_vocabulary_message_lists_known_values(client):
    detail = get_json(client, f"{LIST}?sector=transport", status=400)["detail"]
    assert "'transport'" in detail and "urban-transport" in detail


# Visibility -----------------------------------------------------------------


@pytest.fixture
def cases_by_visibility():
    return {
        "public": make_case(key="open-case"),
        "members": make_case(key="members-case", visibility="members"),
        "draft": make_case(key="draft-case", publish=False),
    }


@pytest.mark.parametrize(
    ("viewer", "visible"),
    [
        ("anonymous", {"open-case"}),
        ("pending", {"open-case"}),
        ("member", {"open-case", "members-case"}),
        ("curator", {"open-case", "members-case"}),
    ],
)
def test_visibility_in_list_and_detail(client, cases_by_visibility, viewer, visible):
    if viewer != "anonymous":
        client.force_login(make_user(role=viewer))
    assert keys(client, LIST) == visible
    assert get_json(client, LIST)["count"] == len(visible)
    for key in ("open-case", "members-case", "draft-case"):
        status = 200 if key in visible else 404
        body = get_json(client, f"{LIST}{key}/", status=status)
        if status == 404:
            assert body == {"detail": f"key: no case '{key}'."}


def test_unknown_key_is_404_json(client):
    assert get_json(client, f"{LIST}no-such-case/", status=404) == {"detail": "key: no case 'no-such-case'."}


# Detail ---------------------------------------------------------------------


def test_detail_has_every_structured_field(client):
    case = make_case(
        key="suwon-signals",
        place_code="41110",
        title="수원 스마트 교차로",
        technologies=("ai", "iot"),
        start_year=2023,
        end_year=2025,
        problem="## 문제\n출퇴근 정체",
        solution="AI 신호",
        outcomes="**23%** 감소",
        partners="수원시정연구원",
        budget_total=1_250_000_000,
        budget_national=600_000_000,
        budget_local=650_000_000,
        running_cost_yearly=80_000_000,
        procurement_method="협상에 의한 계약",
        vendors="가치교통(주)",
        contact_name="스마트도시과 김주무관",
        contact_email="smart@suwon.example",
        contact_phone="031-000-0000",
        lessons="센서 고장이 잦았다",
        lessons_visibility="public",
    )
    enrich(case, participating=("41130", "41150"))
    case.assets = [CaseAsset(kind="code", title="신호 제어 코드", url="https://github.com/example/signals")]
    case.save_revision().publish()

    body = get_json(client, f"{LIST}suwon-signals/")
    assert body["key"] == "suwon-signals" and body["title"] == "수원 스마트 교차로"
    assert body["url"] == "http://testserver/cases/suwon-signals/"
    assert body["language"] == "ko" and body["visibility"] == "public"
    assert body["region"] == {"code": "41000", "name": "경기도", "name_en": "Gyeonggi-do"}
    assert body["municipality"]["code"] == "41110" and body["municipality"]["name"] == "수원시"
    assert body["country"] == "KR"
    assert [p["code"] for p in body["participating"]] == ["41130", "41150"]
    assert body["sector"]["slug"] == "urban-transport" and body["stage"] == {"slug": "pilot", "name": "실증", "name_en": "Pilot"}
    assert {t["slug"] for t in body["technologies"]} == {"ai", "iot"}
    assert body["tags"] == ["교통"]
    assert (body["start_year"], body["end_year"]) == (2023, 2025)
    assert body["problem"] == "## 문제\n출퇴근 정체" and body["outcomes"] == "**23%** 감소"
    assert body["budget"] == {"total": 1_250_000_000, "national": 600_000_000, "local": 650_000_000, "running_cost_yearly": 80_000_000}
    assert body["procurement"]["method"] == "협상에 의한 계약" and body["procurement"]["vendors"] == "가치교통(주)"
    assert body["partners"] == "수원시정연구원"
    assert body["indicators"] == [{"label": "평균 대기시간", "value": "23", "unit": "% 감소"}]
    assert body["assets"] == [{"kind": "code", "title": "신호 제어 코드", "url": "https://github.com/example/signals"}]
    assert body["contact"] == {"name": "스마트도시과 김주무관", "email": "smart@suwon.example", "phone": "031-000-0000"}
    assert body["lessons"] == "센서 고장이 잦았다" and body["lessons_visibility"] == "public"
    assert body["first_published_at"] and body["last_published_at"]


def test_province_led_case_has_no_municipality(client):
    make_case(key="gyeonggi-wide", place_code="41000")
    body = get_json(client, f"{LIST}gyeonggi-wide/")
    assert body["region"]["code"] == "41000" and body["municipality"] is None


def test_foreign_city_case_has_country_and_city(client):
    tokyo = foreign_city_get_or_create("JP", "Tokyo")
    make_case(key="tokyo-case", place_code=tokyo.code)
    body = get_json(client, f"{LIST}tokyo-case/")
    assert body["region"] is None and body["country"] == "JP"
    assert body["municipality"] == {"code": "JP:Tokyo", "name": "Tokyo", "name_en": "Tokyo"}
    assert keys(client, f"{LIST}?municipality=JP:Tokyo") == {"tokyo-case"}


def test_restricted_lessons_only_for_approved_members(client):
    make_case(key="honest", lessons="예산이 부족했다", lessons_visibility="members")
    assert get_json(client, f"{LIST}honest/")["lessons"] is None
    client.force_login(make_user(role="pending"))
    assert get_json(client, f"{LIST}honest/")["lessons"] is None
    client.force_login(make_user())
    assert get_json(client, f"{LIST}honest/")["lessons"] == "예산이 부족했다"


def test_list_items_carry_summary_fields_but_not_lessons(client):
    enrich(make_case(key="listed", lessons="비밀", lessons_visibility="public"))
    item = get_json(client, LIST)["results"][0]
    assert item["key"] == "listed" and item["url"] == "http://testserver/cases/listed/"
    assert item["tags"] == ["교통"] and item["participating"][0]["code"] == "11140" and item["indicators"][0]["value"] == "23"
    assert "lessons" not in item and "budget" not in item


# Schema and cost ------------------------------------------------------------


def test_openapi_schema_lists_the_paths_with_described_parameters(client):
    schema = get_json(client, "/api/v1/openapi.json")
    assert {"/api/v1/cases/", "/api/v1/cases/{key}/", "/api/v1/places/"} <= set(schema["paths"])
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/cases/"]["get"]["parameters"]}
    assert {"page", "page_size", "region", "municipality", "sector", "stage", "technology", "lang", "year"} <= set(parameters)
    assert all(p.get("description") for p in parameters.values())
    assert client.get("/api/v1/docs").status_code == 200


@pytest.mark.parametrize("viewer", ["anonymous", "member"])
def test_list_query_count_does_not_grow_with_cases(client, viewer):
    if viewer == "member":
        client.force_login(make_user())

    def queries_for_list():
        with CaptureQueriesContext(connection) as queries:
            body = get_json(client, f"{LIST}?page_size=100&region=11000&technology=ai")
        return len(queries), body["count"]

    for _ in range(3):
        enrich(make_case(place_code="11110"))
    few = queries_for_list()
    for _ in range(22):
        enrich(make_case(place_code="11110", visibility="members"))
    many = queries_for_list()
    assert few[1] == 3 and many[1] == (25 if viewer == "member" else 3)
    assert few[0] == many[0]
