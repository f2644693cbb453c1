import csv
import json

import pytest
from django.core.management import CommandError, call_command

from cases.models import CaseStudyPage
from hub.models import Place

pytestmark = pytest.mark.django_db


def record(**overrides):
    base = {
        "key": "jeju-iot-air",
        "title": "제주 사물인터넷 대기질 측정망",
        "language": "ko",
        "country": "KR",
        "region": "제주특별자치도",
        "municipality": "",
        "sector": "환경",
        "technologies": ["IoT", "빅데이터"],
        "stage": "운영",
        "start_year": 2022,
        "summary": "도심 200곳에 미세먼지 센서를 설치했습니다.",
        "problem": "측정소가 부족했습니다.",
        "solution": "- 저가 센서",
        "outcomes": "- 민원 **30% 감소**",
        "tags": ["미세먼지", "센서"],
    }
    base.update(overrides)
    return base


def write_json(tmp_path, records, name="cases.json"):
    path = tmp_path / name
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return path


def run_import(path, *args):
    call_command("import_cases", str(path), *args)


def test_import_creates_published_cases_with_places_and_terms(tmp_path):
    path = write_json(
        tmp_path, [record(), record(key="suwon-ai-signal", region="경기도", municipality="수원시", sector="도시·교통", technologies=["AI"])]
    )
    run_import(path)
    jeju = CaseStudyPage.objects.get(key="jeju-iot-air")
    assert jeju.live and jeju.url.endswith("/cases/jeju-iot-air/")
    assert jeju.lead_place.code == "50000" and jeju.province.name == "제주특별자치도"
    assert {t.name for t in jeju.technologies.all()} == {"IoT", "빅데이터"}
    assert sorted(jeju.tags.names()) == ["미세먼지", "센서"]
    suwon = CaseStudyPage.objects.get(key="suwon-ai-signal")
    assert suwon.lead_place.full_name == "경기도 수원시"


def test_reimport_updates_instead_of_duplicating(tmp_path):
    run_import(write_json(tmp_path, [record()]))
    run_import(write_json(tmp_path, [record(title="제주 대기질 측정망 2단계", technologies=["IoT"], tags=["센서"])]))
    assert CaseStudyPage.objects.filter(key="jeju-iot-air").count() == 1
    case = CaseStudyPage.objects.get(key="jeju-iot-air")
    assert case.title == "제주 대기질 측정망 2단계"
    assert [t.name for t in case.technologies.all()] == ["IoT"]
    assert list(case.tags.names()) == ["센서"]
    assert not case.has_unpublished_changes


def test_a_bad_row_imports_nothing_and_names_row_and_field(tmp_path, capsys):
    records = [
        record(key="good-one"),
        record(key="bad-sector", sector="교통"),
        record(key="bad-place", region="경기도", municipality="해운대구"),
        record(key="bad-stage", stage="완료", start_year="이천이십"),
    ]
    with pytest.raises(CommandError, match="nothing was imported"):
        run_import(write_json(tmp_path, records))
    errors = capsys.readouterr().err
    assert "row 2 (key=bad-sector), field 'sector': unknown value '교통'" in errors
    assert "row 3 (key=bad-place), field 'municipality': '해운대구' is not a 시군구 of 경기도" in errors
    assert "row 4 (key=bad-stage), field 'stage'" in errors
    assert "row 4 (key=bad-stage), field 'start_year'" in errors
    assert not CaseStudyPage.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"region": "서울"}, "region", "unknown 시도"),
        ({"language": "jp"}, "language", "is not one of"),
        ({"key": "Bad Key!"}, "key", "lowercase slug"),
        ({"title": ""}, "title", "empty"),
        ({"technologies": ["양자컴퓨팅"]}, "technologies", "unknown value"),
        ({"visibility": "secret"}, "visibility", "is not one of"),
        ({"budget_total": 100, "budget_national": 80, "budget_local": 50}, "budget_total", "exceed the total"),
        ({"sectr": "환경"}, "sectr", "unknown field"),
        ({"country": "KR", "region": ""}, "region", "empty"),
        ({"country": "JP", "region": "", "municipality": ""}, "municipality", "overseas case needs its city"),
    ],
)
def test_each_invalid_field_is_reported(tmp_path, capsys, overrides, field, message):
    with pytest.raises(CommandError):
        run_import(write_json(tmp_path, [record(**overrides)]))
    assert f"field '{field}'" in capsys.readouterr().err
    assert not CaseStudyPage.objects.exists()


def test_missing_required_field_is_an_error(tmp_path, capsys):
    bad = record()
    del bad["sector"]
    with pytest.raises(CommandError):
        run_import(write_json(tmp_path, [bad]))
    assert "row 1 (key=jeju-iot-air), field 'sector': missing" in capsys.readouterr().err


def test_duplicate_keys_in_one_file_are_an_error(tmp_path, capsys):
    with pytest.raises(CommandError):
        run_import(write_json(tmp_path, [record(), record()]))
    assert "row 2 (key=jeju-iot-air), field 'key': duplicate key; row 1 has it already" in capsys.readouterr().err


def test_dry_run_writes_nothing(tmp_path, capsys):
    run_import(write_json(tmp_path, [record()]), "--dry-run")
    assert "would create 1" in capsys.readouterr().out
    assert not CaseStudyPage.objects.exists()


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ("{not json", "x.json", "invalid JSON"),
        ('{"key": "a"}', "x.json", "must be a list"),
        ("a,b", "x.txt", "unsupported file type"),
        ("[]", "x.json", "no records"),
    ],
)
def test_unreadable_files_fail_clearly(tmp_path, capsys, content, name, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError) as error:
        run_import(path)
    assert message in str(error.value) + capsys.readouterr().err


def test_missing_file_fails_clearly(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run_import(tmp_path / "nope.json")


def test_csv_with_semicolon_lists_and_overseas_city(tmp_path):
    path = tmp_path / "cases.csv"
    rows = [
        record(
            key="tallinn-x-road",
            language="en",
            country="EE",
            region="",
            municipality="Tallinn",
            sector="행정",
            technologies="클라우드;오픈소스",
            tags="data exchange;e-government",
            stage="확산",
            title="X-Road",
        ),
        record(key="busan-drone", region="부산광역시", municipality="해운대구", technologies="드론", tags="해변;안전", sector="안전"),
    ]
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    run_import(path)
    tallinn = CaseStudyPage.objects.get(key="tallinn-x-road")
    assert tallinn.lead_place.level == Place.Level.FOREIGN_CITY and tallinn.lead_place.country == "EE"
    assert {t.name for t in tallinn.technologies.all()} == {"클라우드", "오픈소스"}
    assert sorted(tallinn.tags.names()) == ["data exchange", "e-government"]
    assert CaseStudyPage.objects.get(key="busan-drone").lead_place.full_name == "부산광역시 해운대구"


def test_ambiguous_municipality_is_resolved_by_its_region(tmp_path):
    run_import(write_json(tmp_path, [record(key="daegu-junggu", region="대구광역시", municipality="중구")]))
    assert CaseStudyPage.objects.get(key="daegu-junggu").lead_place.code == "27110"


def test_extended_fields_indicators_assets_and_participants(tmp_path):
    extended = record(
        budget_total=1_200_000_000,
        budget_national=600_000_000,
        budget_local=600_000_000,
        running_cost_yearly=80_000_000,
        procurement_method="협상에 의한 계약",
        vendors="㈜스마트센서",
        lessons="배터리 교체 주기를 과소평가했습니다.",
        lessons_visibility="members",
        indicators=[{"label": "민원", "value": "30", "unit": "% 감소"}],
        assets=[{"kind": "tender", "title": "제안요청서", "url": "https://example.org/rfp.pdf"}],
        participating=["경기도 성남시"],
    )
    run_import(write_json(tmp_path, [extended]))
    case = CaseStudyPage.objects.get(key="jeju-iot-air")
    assert case.budget_total == 1_200_000_000 and case.procurement_method == "협상에 의한 계약"
    assert [(i.label, i.value, i.unit) for i in case.indicators.all()] == [("민원", "30", "% 감소")]
    assert [a.href for a in case.assets.all()] == ["https://example.org/rfp.pdf"]
    assert [p.full_name for p in case.participating_places.all()] == ["경기도 성남시"]


def test_demo_content_file_is_valid(capsys):
    from django.conf import settings

    call_command("import_cases", str(settings.BASE_DIR / "cases" / "demo" / "cases.json"), "--dry-run")
    assert "would create" in capsys.readouterr().out
