"""The Excel template for importing cases (Wagtail admin → 사례 가져오기 → 양식 내려받기).

The workbook has three sheets:
- 사례: row 1 holds the Korean column labels (importing.FIELD_LABELS; uploads may use the field names instead), frozen
  together with the key and title columns. Data goes from row 2, so a row's number in the import's report is the one
  Excel shows. Each header carries a note (required or not, the format, an example), and the columns with a fixed
  vocabulary offer a drop-down list with a prompt. There is no hint row to delete: the notes are the hints.
- 예시: the same columns with a filled-in example that imports as it is.
- 목록 (hidden): the drop-down lists, read from the live vocabularies when the template is downloaded, so a sector or
  technology a curator adds appears in the next download.
The importer reads the sheet 사례 (or a workbook's first sheet), so the two others never import by accident.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from hub.models import Place

from .importing import FIELD_LABELS, MAX_SPREADSHEET_ROWS, REQUIRED, SPREADSHEET_SHEET, VISIBILITY_LABELS
from .models import Sector, Stage, Technology
from .models.pages import Language, ProcurementMethod

EXAMPLE_SHEET = "예시"
LISTS_SHEET = "목록"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_FILL = PatternFill("solid", fgColor="DDE7F0")
REQUIRED_FILL = PatternFill("solid", fgColor="FBE3C4")
MONEY_FORMAT = "#,##0"
TEXT_FORMAT = "@"  # keeps leading zeros (010-..., codes) as typed


@dataclass(frozen=True)
class Column:
    field: str
    width: int
    hint: str
    choices: str = ""  # the list in 목록 offered as a drop-down
    strict: bool = True  # refuse values off the list (False: the list only helps, e.g. codes or several values)
    number_format: str = ""


def template_columns() -> list[Column]:
    """The template's columns in the order an official fills them: who and what first, then the story, then money."""
    money = _("원 단위 정수(예: 120000000). 국비와 지방비의 합은 총사업비를 넘을 수 없습니다.")
    markdown = _("Markdown으로 쓸 수 있습니다.")
    return [
        Column(
            "key",
            22,
            _("영문 소문자·숫자·-·_로 된 고정 식별자(예: jeju-iot-air). 같은 키로 다시 올리면 그 사례를 고칩니다."),
            number_format=TEXT_FORMAT,
        ),
        Column("title", 36, _("사업 이름")),
        Column("language", 8, _("ko(한국어) 또는 en(영어)"), choices="language"),
        Column("country", 8, _("국가 코드 두 글자: 국내 사례는 KR, 해외 사례는 FI·EE 등")),
        Column("region", 18, _("시도 이름(예: 경기도) 또는 5자리 코드. 해외 사례는 비워 둡니다."), choices="region", strict=False),
        Column(
            "municipality",
            14,
            _("시군구 이름(예: 수원시). 시도가 주관하면 비워 둡니다. 해외 사례는 도시 이름."),
            choices="municipality",
            strict=False,
        ),
        Column("sector", 14, _("목록에서 고릅니다."), choices="sector"),
        Column("technologies", 18, _("기술 이름. 여러 개는 ;로 구분합니다(예: AI;IoT)."), choices="technology", strict=False),
        Column("stage", 10, _("목록에서 고릅니다."), choices="stage"),
        Column("start_year", 10, _("네 자리 연도(예: 2024)")),
        Column("end_year", 10, _("네 자리 연도. 진행 중이면 비워 둡니다.")),
        Column("summary", 50, _("한두 문장으로 요약합니다.")),
        Column("problem", 40, markdown),
        Column("solution", 40, markdown),
        Column("outcomes", 40, markdown),
        Column("lessons", 40, markdown),
        Column("lessons_visibility", 14, _("회원 공개(기본: 승인된 회원만) 또는 전체 공개"), choices="visibility"),
        Column("visibility", 12, _("전체 공개(기본) 또는 회원 공개"), choices="visibility"),
        Column("tags", 20, _("자유 태그. 여러 개는 ;로 구분합니다.")),
        Column("participating", 24, _("함께한 지자체를 '시도 시군구'로 씁니다(예: 경기도 성남시). 여러 곳은 ;로 구분합니다.")),
        Column("budget_total", 16, money, number_format=MONEY_FORMAT),
        Column("budget_national", 16, money, number_format=MONEY_FORMAT),
        Column("budget_local", 16, money, number_format=MONEY_FORMAT),
        Column("running_cost_yearly", 16, _("원 단위 정수"), number_format=MONEY_FORMAT),
        Column("procurement_method", 18, _("목록에서 고릅니다."), choices="procurement"),
        Column("vendors", 20, _("수행 업체 이름")),
        Column("partners", 24, _("협력 기관")),
        Column("indicators", 30, _('JSON 목록, 예: [{"label": "평균 통행시간", "value": "-12", "unit": "%"}] (unit은 생략 가능)')),
        Column(
            "assets",
            30,
            _('JSON 목록, 예: [{"kind": "tender", "title": "제안요청서", "url": "https://..."}]. kind: tender, code, manual, other'),
        ),
        Column("contact_name", 18, _("담당 부서와 담당자")),
        Column("contact_email", 22, _("기관 이메일 주소")),
        Column("contact_phone", 16, _("기관 대표번호 또는 부서 전화"), number_format=TEXT_FORMAT),
    ]


def column_label(field_name: str) -> str:
    """The column a problem is in, as the spreadsheet's header names it ("분야"); whole-row and whole-file problems
    have no column of their own."""
    if field_name == "(row)":
        return _("(행 전체)")
    if field_name == "(file)":
        return _("(파일 전체)")
    return FIELD_LABELS.get(field_name, field_name)


def template_lists() -> dict[str, list[str]]:
    """The drop-down lists, from the live vocabularies (목록 sheet, one column each)."""
    municipalities = Place.objects.korean().municipalities().order_by("name").values_list("name", flat=True).distinct()
    return {
        "sector": list(Sector.objects.order_by("order", "name").values_list("name", flat=True)),
        "stage": list(Stage.objects.order_by("order", "name").values_list("name", flat=True)),
        "technology": list(Technology.objects.order_by("order", "name").values_list("name", flat=True)),
        "region": list(Place.objects.korean().provinces().order_by("code").values_list("name", flat=True)),
        "municipality": list(municipalities),
        "language": list(Language.values),
        "visibility": list(VISIBILITY_LABELS),
        "procurement": list(ProcurementMethod.values),
    }


def import_template_build() -> bytes:
    """The template workbook (.xlsx) as bytes."""
    workbook = Workbook()
    columns = template_columns()
    lists = template_lists()
    cases = workbook.active
    cases.title = SPREADSHEET_SHEET
    ranges = _write_lists(workbook.create_sheet(LISTS_SHEET), lists)
    _write_header(cases, columns)
    _add_validations(cases, columns, ranges)
    example = workbook.create_sheet(EXAMPLE_SHEET, index=1)
    _write_header(example, columns)
    example_values = example_record(lists)
    example.append([example_values.get(column.field, "") for column in columns])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def example_record(lists: dict[str, list[str]]) -> dict[str, str]:
    """A case that imports as it is, with values from the live lists (the first entry where the usual one is gone)."""

    def pick(name: str, wanted: str) -> str:
        return wanted if wanted in lists[name] else (lists[name][0] if lists[name] else "")

    return {
        "key": "example-suwon-smart-crosswalk",
        "title": "스마트 횡단보도로 어린이 보행 안전 강화",
        "language": "ko",
        "country": "KR",
        "region": pick("region", "경기도"),
        "municipality": "수원시" if pick("region", "경기도") == "경기도" else "",
        "sector": pick("sector", "안전"),
        "technologies": ";".join(t for t in ("IoT", "AI") if t in lists["technology"]) or pick("technology", "IoT"),
        "stage": pick("stage", "운영"),
        "start_year": "2023",
        "summary": "어린이보호구역 횡단보도 12곳에 바닥 신호등과 음성 안내를 설치해 보행 사고를 줄였습니다.",
        "problem": "등하교 시간 어린이보호구역에서 보행 사고가 이어졌습니다.",
        "solution": "- 바닥 신호등\n- 보행자 감지 음성 안내",
        "outcomes": "- 신호 위반 **40% 감소**",
        "visibility": "전체 공개",
        "tags": "어린이보호구역;보행 안전",
        "budget_total": "300000000",
        "budget_national": "150000000",
        "budget_local": "150000000",
        "procurement_method": pick("procurement", "협상에 의한 계약"),
        "indicators": '[{"label": "신호 위반", "value": "-40", "unit": "%"}]',
        "contact_name": "스마트도시과",
    }


def _write_header(sheet, columns: list[Column]) -> None:
    sheet.append([FIELD_LABELS[column.field] for column in columns])
    for number, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=number)
        required = column.field in REQUIRED
        cell.font = Font(bold=True)
        cell.fill = REQUIRED_FILL if required else HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        note = f"{_('필수') if required else _('선택')} · {column.field}\n{column.hint}"
        cell.comment = Comment(note, "가치허브", width=260, height=110)
        letter = get_column_letter(number)
        sheet.column_dimensions[letter].width = column.width
        if column.number_format:
            sheet.column_dimensions[letter].number_format = column.number_format
    sheet.freeze_panes = "C2"
    sheet.row_dimensions[1].height = 30


def _write_lists(sheet, lists: dict[str, list[str]]) -> dict[str, str]:
    """One column per list under its name; returns each list's cell range for the drop-downs."""
    ranges = {}
    for number, (name, values) in enumerate(lists.items(), start=1):
        letter = get_column_letter(number)
        sheet.cell(row=1, column=number, value=name).font = Font(bold=True)
        for row, value in enumerate(values, start=2):
            cell = sheet.cell(row=row, column=number, value=value)
            cell.data_type = "s"  # a curator's term that starts with "=" stays text, never a formula
        ranges[name] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${max(len(values), 1) + 1}"
    sheet.sheet_state = "hidden"
    return ranges


def _add_validations(sheet, columns: list[Column], ranges: dict[str, str]) -> None:
    last_row = MAX_SPREADSHEET_ROWS + 1
    for number, column in enumerate(columns, start=1):
        if not column.choices:
            continue
        validation = DataValidation(
            type="list",
            formula1=ranges[column.choices],
            allow_blank=True,
            showErrorMessage=column.strict,
            errorTitle=_("목록에 없는 값"),
            error=_("목록에서 골라 주세요."),
            promptTitle=FIELD_LABELS[column.field][:32],
            prompt=column.hint[:255],
            showInputMessage=True,
        )
        letter = get_column_letter(number)
        validation.add(f"{letter}2:{letter}{last_row}")
        sheet.add_data_validation(validation)
