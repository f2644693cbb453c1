import json

import pytest

from cases.importing import foreign_city_get_or_create

pytestmark = pytest.mark.django_db

LIST = "/api/v1/places/"


def get_json(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.content
    return json.loads(response.content)


def test_all_korean_places_are_listed_in_pages(client):
    first = get_json(client, LIST)
    assert first["count"] == 17 + 226 and len(first["results"]) == 20 and first["previous"] is None
    assert first["next"] == "http://testserver/api/v1/places/?page=2"
    last = get_json(client, f"{LIST}?page_size=100&page=3")
    assert len(last["results"]) == 43 and last["next"] is None and "page=2" in last["previous"]


def test_place_fields(client):
    places = {p["code"]: p for p in get_json(client, f"{LIST}?parent=41000&page_size=100")["results"]}
    assert places["41110"] == {
        "code": "41110",
        "name": "수원시",
        "name_en": "Suwon-si",
        "level": "municipality",
        "kind": "시",
        "parent": "41000",
        "country": "KR",
    }


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ("level=province", 17),
        ("level=municipality", 226),
        ("level=foreign_city", 0),
        ("parent=41000", 31),
        ("parent=36000", 0),
        ("country=KR", 243),
    ],
)
def test_place_filters(client, query, count):
    body = get_json(client, f"{LIST}?{query}&page_size=100")
    assert body["count"] == count


def test_province_filter_returns_only_provinces(client):
    results = get_json(client, f"{LIST}?level=province&page_size=100")["results"]
    assert {p["level"] for p in results} == {"province"} and all(p["parent"] is None for p in results)
    assert results[0]["code"] == "11000" and results[0]["name"] == "서울특별시"


def test_foreign_cities_by_country(client):
    foreign_city_get_or_create("JP", "Tokyo")
    body = get_json(client, f"{LIST}?country=jp")
    assert body["count"] == 1
    assert body["results"][0] == {
        "code": "JP:Tokyo",
        "name": "Tokyo",
        "name_en": "Tokyo",
        "level": "foreign_city",
        "kind": "city",
        "parent": None,
        "country": "JP",
    }
    assert get_json(client, f"{LIST}?level=foreign_city")["count"] == 1


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("level=county", "level"),
        ("parent=41110", "parent"),
        ("parent=99999", "parent"),
        ("country=KOR", "country"),
        ("page=0", "page"),
        ("page=x", "page"),
        ("page=4&page_size=100", "page"),
        ("page_size=101", "page_size"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(client, query, parameter):
    body = get_json(client, f"{LIST}?{query}", status=400)
    assert set(body) == {"detail"} and body["detail"].startswith(f"{parameter}:"), body
