import pytest

from cases.importing import foreign_city_get_or_create
from hub.models import Place
from hub.selectors import place_by_label

pytestmark = pytest.mark.django_db


def test_all_provinces_and_municipalities_are_loaded():
    assert Place.objects.provinces().count() == 17
    assert Place.objects.municipalities().count() == 226
    counts = {p.name: p.children.count() for p in Place.objects.provinces()}
    assert counts["서울특별시"] == 25 and counts["경기도"] == 31 and counts["대구광역시"] == 9
    assert counts["세종특별자치시"] == 0 and counts["제주특별자치도"] == 0


def test_current_names_codes_and_kinds():
    assert Place.objects.get(code="11110").full_name == "서울특별시 종로구"
    assert Place.objects.get(code="51000").name == "강원특별자치도"
    assert Place.objects.get(code="52000").kind == Place.Kind.SPECIAL_SELF_GOVERNING_PROVINCE
    assert Place.objects.get(name="군위군").parent.name == "대구광역시"
    assert Place.objects.get(code="36000").kind == Place.Kind.SPECIAL_SELF_GOVERNING_CITY
    assert set(Place.objects.municipalities().values_list("kind", flat=True)) == {"시", "군", "구"}
    assert all(p.code.startswith(p.parent.code[:2]) for p in Place.objects.municipalities().select_related("parent"))


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("41110", "41110"),
        ("경기도", "41000"),
        ("부산광역시 중구", "26110"),
        ("대구광역시  군위군", "27720"),
        ("중구", None),
        ("해운대구", "26350"),
        ("없는곳", None),
    ],
)
def test_place_by_label(label, code):
    place = place_by_label(label)
    assert (place.code if place else None) == code


def test_foreign_cities_are_created_once_on_demand():
    tokyo = foreign_city_get_or_create("JP", "Tokyo")
    assert foreign_city_get_or_create("JP", "Tokyo") == tokyo
    assert tokyo.level == Place.Level.FOREIGN_CITY and tokyo.province is None and str(tokyo) == "Tokyo (JP)"
