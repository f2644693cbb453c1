"""The Excel template, the admin's upload → preview → import pages and `import_cases PATH.xlsx`."""

import io
import zipfile
from urllib.parse import unquote

import pytest
from bs4 import BeautifulSoup
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from cases.admin_import_views import MAX_UPLOAD_BYTES, upload_dir
from cases.importing import FIELD_LABELS, REQUIRED
from cases.models import CaseStudyPage, Sector
from cases.spreadsheet import import_template_build
from tests.factories import make_case, make_user

pytestmark = pytest.mark.django_db

IMPORT = "/admin/cases/import/"
PREVIEW = "/admin/cases/import/preview/"
TEMPLATE = "/admin/cases/import/template.xlsx"


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def case_row(n: int, **overrides) -> dict:
    """One case as the template's columns name it (Korean headers)."""
    row = {
        "key": f"gyeonggi-case-{n}",
        "title": f"경기 스마트 사업 {n}",
        "language": "ko",
        "country": "KR",
        "region": "경기도",
        "municipality": "수원시",
        "sector": "안전",
        "technologies": "IoT;AI",
        "stage": "운영",
        "start_year": 2023,
        "summary": f"{n}번째 사업 요약입니다.",
        "visibility": "전체 공개",
        "budget_total": 300_000_000,
    }
    row.update(overrides)
    return row


def workbook_bytes(rows: dict[int, dict]) -> bytes:
    """The downloaded template with `rows` filled in on sheet 사례 at the given Excel row numbers."""
    workbook = load_workbook(io.BytesIO(import_template_build()))
    sheet = workbook["사례"]
    columns = {cell.value: cell.column for cell in sheet[1]}
    for number, row in rows.items():
        for name, value in row.items():
            sheet.cell(row=number, column=columns[FIELD_LABELS[name]], value=value)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(client, content: bytes, name: str = "cases.xlsx"):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, content)})


def preview(client, response) -> BeautifulSoup:
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"].startswith(PREVIEW)
    page = client.get(response["Location"])
    assert page.status_code == 200
    return BeautifulSoup(page.content, "html.parser")


def problems(soup) -> list[tuple[str, str, str]]:
    return [
        (
            tr.select_one(".import-problem__row").get_text(strip=True),
            tr.select_one(".import-problem__column").get_text(strip=True),
            tr.select_one(".import-problem__message").get_text(strip=True),
        )
        for tr in soup.select("table.import-problems tbody tr")
    ]


def token_of(soup) -> str:
    return soup.select_one("input[name=upload]")["value"]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


# The template --------------------------------------------------------------------------------------------------


def test_template_download_has_korean_headers_and_live_validation_lists(client):
    Sector.objects.create(name="디지털 포용", name_en="Digital inclusion", slug="digital-inclusion", order=99)
    client.force_login(make_user(role="curator"))
    response = client.get(TEMPLATE)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response["Content-Disposition"] and ".xlsx" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == ["사례", "예시", "목록"]
    assert workbook["목록"].sheet_state == "hidden"
    sheet = workbook["사례"]
    headers = [cell.value for cell in sheet[1]]
    assert set(headers) == set(FIELD_LABELS.values()) and len(headers) == len(FIELD_LABELS)
    assert headers[:3] == ["사례 키", "제목", "언어"]
    assert sheet.freeze_panes == "C2"
    assert sheet.max_row == 1  # data starts on row 2: no hint row to delete
    assert "필수" in sheet["A1"].comment.text

    def listed(label: str) -> list[str]:
        column = sheet.cell(row=1, column=headers.index(label) + 1).column_letter
        validation = next(v for v in sheet.data_validations.dataValidation if str(v.sqref).startswith(f"{column}2:"))
        cells = validation.formula1.split("!")[1].replace("$", "")
        return [cell.value for row in workbook["목록"][cells] for cell in row]

    assert listed("분야")[-1] == "디지털 포용" and "보건·복지" in listed("분야")
    assert listed("단계") == ["아이디어", "기획", "실증", "운영", "확산", "종료"]
    assert len(listed("시도")) == 17 and "강원특별자치도" in listed("시도")
    assert listed("언어") == ["ko", "en"]
    assert listed("공개 범위") == ["전체 공개", "회원 공개"]
    assert "협상에 의한 계약" in listed("조달 방식")
    assert {"AI", "IoT", "빅데이터"} <= set(listed("기술"))
    example = workbook["예시"]
    assert [cell.value for cell in example[1]] == headers and example.max_row == 2


def test_template_example_imports_as_it_is(tmp_path):
    workbook = load_workbook(io.BytesIO(import_template_build()))
    for values in workbook["예시"].iter_rows(min_row=2, values_only=True):
        workbook["사례"].append(values)
    path = tmp_path / "example.xlsx"
    workbook.save(path)
    call_command("import_cases", str(path))
    assert CaseStudyPage.objects.get(key="example-suwon-smart-crosswalk").lead_place.full_name == "경기도 수원시"


def test_template_and_import_pages_are_for_curators_and_officials_only(client):
    for role in ("member", "pending"):
        client.force_login(make_user(role=role))
        assert client.get(IMPORT).status_code == 302
        assert client.get(TEMPLATE).status_code == 302
    client.force_login(make_user(role="curator"))
    assert IMPORT in client.get("/admin/").content.decode()  # the admin menu entry
    client.force_login(make_user(role="official", place_code="41110"))
    assert IMPORT in client.get("/admin/").content.decode()
    page = client.get(IMPORT)
    assert page.status_code == 200 and "경기도 수원시이(가) 주관하는 사례만" in page.content.decode()
    assert client.get(TEMPLATE).status_code == 200


# Upload, preview, import ---------------------------------------------------------------------------------------


def test_three_bad_rows_show_exactly_those_problems_and_import_nothing_then_the_fixed_file_imports_all(client):
    client.force_login(make_user(role="curator"))
    good = {2: case_row(1), 3: case_row(2), 4: case_row(3), 6: case_row(4), 7: case_row(5), 9: case_row(6)}  # rows 5 and 8 blank
    bad = {
        **good,
        3: case_row(2, sector="교통"),
        6: case_row(4, start_year="이천이십삼"),
        9: case_row(6, municipality="해운대구"),
    }
    response = upload(client, workbook_bytes(bad))
    bad_token = response["Location"].split("upload=")[1]
    soup = preview(client, response)
    found = problems(soup)
    assert [(row, column) for row, column, _ in found] == [("3", "분야"), ("6", "시작 연도"), ("9", "시군구")]
    assert "'교통'" in found[0][2] and "'해운대구' is not a 시군구 of 경기도" in found[2][2]
    assert soup.select_one("input[name=upload]") is None  # no 가져오기 button
    # Even asked to import it anyway (the token is in the preview's address), the file imports nothing.
    response = client.post(PREVIEW, {"upload": unquote(bad_token)})
    assert response.status_code == 200 and len(problems(BeautifulSoup(response.content, "html.parser"))) == 3
    assert not CaseStudyPage.objects.exists()

    # The fixed file: a preview listing every row, then one import of them all.
    soup = preview(client, upload(client, workbook_bytes(good)))
    assert problems(soup) == []
    rows = [
        (tr.select("td")[0].get_text(strip=True), tr.select("td")[1].get_text(strip=True))
        for tr in soup.select("table.import-rows tbody tr")
    ]
    assert rows == [
        ("2", "gyeonggi-case-1"),
        ("3", "gyeonggi-case-2"),
        ("4", "gyeonggi-case-3"),
        ("6", "gyeonggi-case-4"),
        ("7", "gyeonggi-case-5"),
        ("9", "gyeonggi-case-6"),
    ]
    assert not CaseStudyPage.objects.exists()  # the preview wrote nothing
    response = client.post(PREVIEW, {"upload": token_of(soup)})
    assert response.status_code == 302 and response["Location"] == IMPORT
    assert any("6건을 새로 만들고 0건을 고쳤습니다" in m for m in messages_of(response))
    cases = CaseStudyPage.objects.live().order_by("key")
    assert [c.key for c in cases] == [f"gyeonggi-case-{n}" for n in range(1, 7)]
    assert {c.sector.name for c in cases} == {"안전"} and all(c.lead_place.full_name == "경기도 수원시" for c in cases)
    assert cases[0].latest_revision.user is not None  # the import is on the curator's record

    # The token is spent: its stored file is gone (only the bad file's remains, until it expires), and posting it
    # again imports nothing twice.
    assert len(list(upload_dir().iterdir())) == 1
    response = client.post(PREVIEW, {"upload": token_of(soup)})
    assert response.status_code == 302 and any("다시 올려 주세요" in m for m in messages_of(response))


def test_import_refuses_everything_when_the_data_changed_since_the_preview(client):
    """All or nothing at the moment of import too: a row that became invalid stops every row."""
    client.force_login(make_user(role="curator"))
    soup = preview(client, upload(client, workbook_bytes({2: case_row(1), 3: case_row(2, key="taken-key")})))
    make_case(key="taken-key", place_code="11110")  # meanwhile someone else files the key under 서울 종로구
    Sector.objects.filter(name="안전").update(name="재난·안전")  # and a curator renames the sector
    response = client.post(PREVIEW, {"upload": token_of(soup)})
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    assert [(row, column) for row, column, _ in problems(soup)] == [("2", "분야"), ("3", "분야")]
    assert not CaseStudyPage.objects.filter(key="gyeonggi-case-1").exists()


def test_csv_and_json_uploads_use_the_same_checks(client):
    client.force_login(make_user(role="curator"))
    header = ",".join(FIELD_LABELS[name] for name in REQUIRED)
    line = "csv-case,CSV 사례,ko,KR,경기도,성남시,행정,클라우드,기획,2025,요약"
    second = line.replace("csv-case", "csv-case-2").replace("기획", "완료")
    soup = preview(client, upload(client, f"{header}\n{line}\n{second}\n".encode(), "cases.csv"))
    assert [(row, column) for row, column, _ in problems(soup)] == [("3", "단계")]
    soup = preview(client, upload(client, b'[{"key": "x"}]', "cases.json"))
    assert ("1", "제목", "missing") in problems(soup)


def test_personal_data_in_a_row_is_a_problem_in_its_column(client):
    client.force_login(make_user(role="curator"))
    soup = preview(client, upload(client, workbook_bytes({2: case_row(1, summary="문의는 담당자 휴대폰 010-2345-6789로 주세요.")})))
    [(row, column, message)] = problems(soup)
    assert (row, column) == ("2", "요약") and "휴대전화 번호" in message and "6789" in message and "2345" not in message


def test_official_imports_only_cases_of_their_own_local_government(client):
    official = make_user(role="official", place_code="41110")  # 경기도 수원시
    make_case(key="seongnam-case", place_code="41130")
    client.force_login(official)
    rows = {
        2: case_row(1),
        3: case_row(2, municipality="성남시"),
        4: case_row(3, municipality="", region="경기도"),
        5: case_row(4, key="seongnam-case"),  # their place, but the key is 성남시's case
    }
    found = problems(preview(client, upload(client, workbook_bytes(rows))))
    assert [(row, column) for row, column, _ in found] == [("3", "시군구"), ("4", "시도"), ("5", "사례 키")]
    assert "경기도 수원시" in found[0][2]
    soup = preview(client, upload(client, workbook_bytes({2: case_row(1), 3: case_row(2)})))
    assert "큐레이터 검토에 올립니다" in soup.get_text()
    response = client.post(PREVIEW, {"upload": token_of(soup)})
    assert response.status_code == 302 and response["Location"] == IMPORT
    assert any("새 사례 2건과 고친 사례 0건을 큐레이터 검토에 올렸습니다" in m for m in messages_of(response))
    # An official's cases are not published by the import: they wait for the curators' review, like the editor's.
    imported = CaseStudyPage.objects.filter(key__in=["gyeonggi-case-1", "gyeonggi-case-2"])
    assert imported.count() == 2 and not imported.filter(live=True).exists()
    assert all(case.lead_place.code == "41110" and case.workflow_in_progress for case in imported)
    assert {case.owner for case in imported} == {official}


def test_a_token_works_only_for_its_uploader_and_unchanged(client):
    client.force_login(make_user(role="curator"))
    soup = preview(client, upload(client, workbook_bytes({2: case_row(1)})))
    token = token_of(soup)
    client.force_login(make_user(role="curator"))
    for forged in (token, token[:-2] + "xx", "../../etc/passwd"):
        response = client.post(PREVIEW, {"upload": forged})
        assert response.status_code == 302 and any("찾을 수 없습니다" in m for m in messages_of(response))
    assert not CaseStudyPage.objects.exists()


def zip_of(name: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("cases.txt", b"a,b", "파일만 올릴 수 있습니다"),
        ("cases.xls", b"\xd0\xcf\x11\xe0", ".xlsx로 저장해"),
        ("cases.xlsx", b"key,title\n", "엑셀(.xlsx) 파일이 아닙니다"),
        ("cases.xlsx", zip_of("hello.txt", b"hi"), "not an Excel workbook"),
        ("cases.csv", "키,제목".encode("cp949"), "not UTF-8"),
        ("cases.json", b"{oops", "invalid JSON"),
        ("cases.csv", b"", "빈 파일"),
        ("cases.csv", b"x" * (MAX_UPLOAD_BYTES + 1), "파일이 너무 큽니다"),
    ],
)
def test_files_that_are_not_case_sheets_are_refused_clearly(client, name, content, message):
    client.force_login(make_user(role="curator"))
    response = upload(client, content, name)
    assert response.status_code == 200
    errors = BeautifulSoup(response.content, "html.parser").select_one(".w-field__errors, .error-message")
    assert errors is not None and message in errors.get_text(" ", strip=True)
    assert not upload_dir().exists() or not any(upload_dir().iterdir())


# The command ---------------------------------------------------------------------------------------------------


def test_command_imports_xlsx_naming_rows_as_the_sheet_does(tmp_path, capsys):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook_bytes({2: case_row(1), 4: case_row(2, stage="완료")}))
    with pytest.raises(CommandError, match="1 problem"):
        call_command("import_cases", str(bad))
    assert "row 4 (key=gyeonggi-case-2), field 'stage'" in capsys.readouterr().err
    assert not CaseStudyPage.objects.exists()
    good = tmp_path / "good.xlsx"
    good.write_bytes(workbook_bytes({2: case_row(1), 4: case_row(2)}))
    call_command("import_cases", str(good))
    assert "created 2" in capsys.readouterr().out
    assert CaseStudyPage.objects.get(key="gyeonggi-case-2").visibility == "public"
