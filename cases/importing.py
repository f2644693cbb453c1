"""Importing case studies from JSON, CSV or Excel (.xlsx): parse → validate every row → write all rows in one
transaction, or none.

Format (README "Importing cases"): one record per case with the fields in FIELDS. Re-importing a key updates that case.
CSV and .xlsx headers may be the field names or their Korean labels (FIELD_LABELS, the headers of the template built
by cases/spreadsheet.py); their rows are numbered as a spreadsheet shows them (the header is row 1).
"""

from __future__ import annotations

import csv
import datetime
import json
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from hub import permissions
from hub.models import Place
from hub.models.places import KOREA
from hub.pii_guard import pii_findings_in

from .admin_forms import CASE_PII_FIELDS
from .models import CaseAsset, CaseIndexPage, CaseOutcomeIndicator, CaseStudyPage, Sector, Stage, Technology
from .models.pages import Language, ProcurementMethod, Visibility

REQUIRED = ["key", "title", "language", "country", "region", "municipality", "sector", "technologies", "stage", "start_year", "summary"]
OPTIONAL_TEXT = ["problem", "solution", "outcomes", "partners", "vendors", "lessons", "contact_name", "contact_email", "contact_phone"]
OPTIONAL_MONEY = ["budget_total", "budget_national", "budget_local", "running_cost_yearly"]
OPTIONAL_OTHER = ["tags", "visibility", "lessons_visibility", "end_year", "procurement_method", "indicators", "assets", "participating"]
FIELDS = REQUIRED + OPTIONAL_TEXT + OPTIONAL_MONEY + OPTIONAL_OTHER
LIST_FIELDS = {"technologies", "tags", "participating"}
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,119}$")
COUNTRY_PATTERN = re.compile(r"^[A-Z]{2}$")
MAX_TEXT = 50_000
FIRST_YEAR = 1990
# The Korean column headers of the Excel template. They are data, not interface text: a sheet made by one curator must
# import for everyone, whatever language their screen is in, so they are never translated (and field names work too).
FIELD_LABELS = {
    "key": "사례 키",
    "title": "제목",
    "language": "언어",
    "country": "국가",
    "region": "시도",
    "municipality": "시군구",
    "sector": "분야",
    "technologies": "기술",
    "stage": "단계",
    "start_year": "시작 연도",
    "end_year": "종료 연도",
    "summary": "요약",
    "problem": "문제",
    "solution": "해결 방법",
    "outcomes": "성과",
    "lessons": "교훈과 실패",
    "lessons_visibility": "교훈과 실패 공개 범위",
    "visibility": "공개 범위",
    "tags": "태그",
    "participating": "참여 지자체",
    "budget_total": "총사업비(원)",
    "budget_national": "국비(원)",
    "budget_local": "지방비(원)",
    "running_cost_yearly": "연간 운영비(원)",
    "procurement_method": "조달 방식",
    "vendors": "수행 업체",
    "partners": "협력 기관",
    "indicators": "성과 지표",
    "assets": "재사용 자료",
    "contact_name": "담당 부서·담당자",
    "contact_email": "연락처 이메일",
    "contact_phone": "연락처 전화",
}
FIELD_BY_HEADER = {**{name: name for name in FIELD_LABELS}, **{label: name for name, label in FIELD_LABELS.items()}}
# Choice fields also take their Korean labels (the source text of Visibility's labels), which is what the template's
# drop-down lists offer.
VISIBILITY_LABELS = {"전체 공개": Visibility.PUBLIC, "회원 공개": Visibility.MEMBERS}
CHOICE_ALIASES = {"visibility": VISIBILITY_LABELS, "lessons_visibility": VISIBILITY_LABELS}
SPREADSHEET_SHEET = "사례"  # the sheet an .xlsx upload is read from (else its first sheet)
MAX_SPREADSHEET_ROWS = 5_000
HEADER_ROW = 1


class ImportFileError(Exception):
    """The file as a whole cannot be read (missing, wrong format, not a list)."""


@dataclass
class RowError:
    row: int
    key: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f" (key={self.key})" if self.key else "")
        return f"{where}, field '{self.field}': {self.message}"


@dataclass
class CaseRow:
    """A validated record, ready to be written."""

    row: int
    key: str
    values: dict[str, Any]
    lead_place: Place | None
    foreign_city: tuple[str, str] | None
    participating: list[Place]
    technologies: list[Technology]
    tags: list[str]
    indicators: list[dict]
    assets: list[dict]


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


# Reading ----------------------------------------------------------------


@dataclass
class RecordFile:
    """The records of a file and the row each is on as the user sees it (None: records counted from 1, as in JSON)."""

    records: list
    row_numbers: list[int] | None = None


def read_records(path: Path) -> list[dict]:
    """Records of a .json (a list of objects), .csv or .xlsx (header row; lists separated by ';') file."""
    return read_record_file(path).records


def read_record_file(path: Path) -> RecordFile:
    if not path.exists():
        raise ImportFileError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _xlsx_file(path)
    if suffix not in (".json", ".csv"):
        raise ImportFileError(f"{path}: unsupported file type '{suffix}' (use .json, .csv or .xlsx)")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ImportFileError(f"{path}: invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}") from None
        if not isinstance(data, list):
            raise ImportFileError(f"{path}: the JSON must be a list of objects, not {type(data).__name__}")
        return RecordFile(data)
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames:
        raise ImportFileError(f"{path}: the CSV has no header row")
    _check_header(path, reader.fieldnames)
    records = [_csv_record(record) for record in reader]
    return RecordFile(records, [HEADER_ROW + n for n in range(1, len(records) + 1)])


def _check_header(path: Path, header: Sequence[str | None]) -> None:
    seen: dict[str, str] = {}
    for column in header:
        column = (column or "").strip()
        name = FIELD_BY_HEADER.get(column)
        if name is None:
            continue  # an unknown column is reported on each row that fills it
        if name in seen:
            raise ImportFileError(f"{path}: the columns '{seen[name]}' and '{column}' are both the field '{name}'")
        seen[name] = column


def _xlsx_file(path: Path) -> RecordFile:
    """The data rows of the sheet SPREADSHEET_SHEET (else the first), numbered as Excel numbers them; blank rows skipped."""
    from openpyxl import load_workbook  # only spreadsheet imports pay for loading it

    _check_xlsx_size(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors on a damaged or foreign file; all mean "not .xlsx"
        raise ImportFileError(f"{path}: not an Excel workbook (.xlsx); save it as .xlsx (or CSV UTF-8) and try again") from None
    try:
        if not workbook.worksheets:
            raise ImportFileError(f"{path}: the workbook has no worksheet")
        sheet = workbook[SPREADSHEET_SHEET] if SPREADSHEET_SHEET in workbook.sheetnames else workbook.worksheets[0]
        sheet.reset_dimensions()  # some writers record a wrong used range; read every row there is
        rows = sheet.iter_rows(values_only=True)
        header = [_cell_text(value) for value in next(rows, ())]
        while header and not header[-1]:
            header.pop()
        if not header:
            raise ImportFileError(f"{path}: sheet '{sheet.title}' has no header in row {HEADER_ROW}")
        _check_header(path, header)
        records, numbers = [], []
        for number, cells in enumerate(rows, start=HEADER_ROW + 1):
            texts = [_cell_text(value) for value in cells]
            if not any(texts):
                continue
            if len(records) == MAX_SPREADSHEET_ROWS:
                raise ImportFileError(f"{path}: more than {MAX_SPREADSHEET_ROWS:,} rows; split the file")
            records.append(_sheet_record(header, texts))
            numbers.append(number)
    except ImportFileError:
        raise
    except Exception:  # a damaged sheet inside a valid zip fails while its rows are read
        raise ImportFileError(f"{path}: the workbook is damaged and cannot be read; save it again as .xlsx") from None
    finally:
        workbook.close()
    return RecordFile(records, numbers)


MAX_XLSX_UNPACKED_BYTES = 200 * 1024 * 1024


def _check_xlsx_size(path: Path) -> None:
    """Refuse a workbook that unpacks to far more than any sheet of cases needs (a "zip bomb" would exhaust memory)."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        raise ImportFileError(f"{path}: not an Excel workbook (.xlsx); save it as .xlsx (or CSV UTF-8) and try again") from None
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise ImportFileError(f"{path}: the workbook unpacks to {unpacked // 2**20:,} MB; at most {MAX_XLSX_UNPACKED_BYTES // 2**20} MB")


def _cell_text(value: Any) -> str:
    """A cell as the text a CSV cell would hold, so one validator reads both (2022.0 typed as a number reads "2022")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


def _sheet_record(header: list[str], texts: list[str]) -> dict:
    record: dict[str | None, Any] = {column: text for column, text in zip(header, texts, strict=False) if column}
    extra = [text for column, text in zip(header, texts, strict=False) if not column and text] + [t for t in texts[len(header) :] if t]
    if extra:
        record[None] = extra  # cells outside the header's columns, as csv.DictReader reports them
    return _csv_record(record)


def _csv_record(record: dict) -> dict:
    out = {}
    for name, value in record.items():
        if name is None:  # more cells than header columns
            out["__extra_cells__"] = value
            continue
        value = (value or "").strip()
        name = FIELD_BY_HEADER.get(name.strip(), name.strip())
        out[name] = [part.strip() for part in value.split(";") if part.strip()] if name in LIST_FIELDS else value
    return out


# Validating -------------------------------------------------------------


class Vocabulary:
    """Places and taxonomies loaded once per import, so validating a row makes no queries."""

    def __init__(self):
        places = list(Place.objects.korean().select_related("parent"))
        self.provinces = {}
        for place in places:
            if place.level == Place.Level.PROVINCE:
                for name in (place.name, place.name_en, place.code):
                    if name:
                        self.provinces[name.casefold()] = place
        self.municipalities = {(p.parent_id, p.name.casefold()): p for p in places if p.parent_id}
        self.municipalities.update({(p.parent_id, p.code): p for p in places if p.parent_id})
        self.sectors = self._terms(Sector)
        self.technologies = self._terms(Technology)
        self.stages = self._terms(Stage)

    @staticmethod
    def _terms(model) -> dict:
        terms = {}
        for term in model.objects.all():
            for name in (term.name, term.name_en, term.slug):
                if name:
                    terms[name.casefold()] = term
        return terms


def validate_records(
    records: list, vocabulary: Vocabulary, *, row_numbers: Sequence[int] | None = None
) -> tuple[list[CaseRow], list[RowError]]:
    rows, errors, seen = [], [], {}
    for number, record in zip(row_numbers or range(1, len(records) + 1), records, strict=True):
        row, row_errors = _validate_record(number, record, vocabulary)
        errors.extend(row_errors)
        if row is not None:
            if row.key in seen:
                errors.append(RowError(number, row.key, "key", f"duplicate key; row {seen[row.key]} has it already"))
            seen.setdefault(row.key, number)
            rows.append(row)
    return rows, errors


def record_shape_errors(record: dict, *, fields: Sequence[str], required: Sequence[str], err: Callable[[str, str], None]) -> None:
    """Report what is wrong with a record's shape (extra cells, unknown or missing fields) through `err(field, message)`;
    shared by every importer that reads rows (cases here, members in hub/member_import.py)."""
    if "__extra_cells__" in record:
        err("(row)", "more cells than the header has columns")
    for unknown in sorted(set(record) - set(fields) - {"__extra_cells__"}):
        err(unknown, f"unknown field (allowed: {', '.join(fields)})")
    for name in required:
        if name not in record:
            err(name, "missing")


def _validate_record(number: int, record: Any, vocab: Vocabulary) -> tuple[CaseRow | None, list[RowError]]:
    if not isinstance(record, dict):
        return None, [RowError(number, "", "(row)", f"expected an object, got {type(record).__name__}")]
    key = str(record.get("key") or "").strip()
    errors: list[RowError] = []

    def err(field_name: str, message: str) -> None:
        errors.append(RowError(number, key, field_name, message))

    record_shape_errors(record, fields=FIELDS, required=REQUIRED, err=err)

    values: dict[str, Any] = {}
    if key and not KEY_PATTERN.match(key):
        err("key", "must be a lowercase slug (a-z, 0-9, '-', '_'), at most 120 characters")
    elif "key" in record and not key:
        err("key", "empty")

    values["title"] = _text(record, "title", err, required=True, max_length=255)
    values["summary"] = _text(record, "summary", err, required=True)
    for name in OPTIONAL_TEXT:
        values[name] = _text(record, name, err, max_length=255 if name in {"vendors"} else MAX_TEXT)
    values["language"] = _choice(record, "language", Language.values, err, default=None)
    values["visibility"] = _choice(record, "visibility", Visibility.values, err, default=Visibility.PUBLIC)
    values["lessons_visibility"] = _choice(record, "lessons_visibility", Visibility.values, err, default=Visibility.MEMBERS)
    values["procurement_method"] = _choice(record, "procurement_method", ProcurementMethod.values, err, default="")
    values["start_year"] = _year(record, "start_year", err, required=True)
    values["end_year"] = _year(record, "end_year", err)
    if values["start_year"] and values["end_year"] and values["end_year"] < values["start_year"]:
        err("end_year", f"{values['end_year']} is before start_year {values['start_year']}")
    for name in OPTIONAL_MONEY:
        values[name] = _money(record, name, err)
    total, shares = values["budget_total"], (values["budget_national"] or 0) + (values["budget_local"] or 0)
    if total is not None and shares > total:
        err("budget_total", f"national + local shares ({shares:,}) exceed the total ({total:,})")
    if values["contact_email"]:
        try:
            validate_email(values["contact_email"])
        except ValidationError:
            err("contact_email", f"not an e-mail address: {values['contact_email']!r}")

    values["sector"] = _term(record, "sector", vocab.sectors, err)
    values["stage"] = _term(record, "stage", vocab.stages, err)
    technologies = [_term({"technologies": name}, "technologies", vocab.technologies, err) for name in _list(record, "technologies", err)]
    tags = [str(tag).strip()[:100] for tag in _list(record, "tags", err) if str(tag).strip()]

    lead_place, foreign_city = _place(record, vocab, err)
    participating = []
    for label in _list(record, "participating", err):
        participating.append(_participating_place(str(label), vocab, err))

    indicators = _objects(record, "indicators", {"label", "value", "unit"}, {"label", "value"}, err)
    assets = _objects(record, "assets", {"kind", "title", "url"}, {"kind", "title", "url"}, err)
    for asset in assets:
        if asset.get("kind") not in CaseAsset.Kind.values:
            err("assets", f"kind {asset.get('kind')!r} is not one of {', '.join(CaseAsset.Kind.values)}")
        try:
            URLValidator(schemes=["http", "https"])(str(asset.get("url", "")))
        except ValidationError:
            err("assets", f"url {asset.get('url')!r} is not an http(s) URL")

    if errors:
        return None, errors
    return (
        CaseRow(
            number,
            key,
            values,
            lead_place,
            foreign_city,
            [p for p in participating if p],
            [t for t in technologies if t],
            tags,
            indicators,
            assets,
        ),
        [],
    )


def _text(record, name, err, *, required=False, max_length=MAX_TEXT) -> str:
    value = record.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        err(name, f"expected text, got {type(value).__name__}")
        return ""
    value = value.strip()
    if required and not value:
        err(name, "empty")
    if len(value) > max_length:
        err(name, f"too long ({len(value):,} characters; at most {max_length:,})")
    return value


def _choice(record, name, allowed, err, *, default):
    value = record.get(name)
    if isinstance(value, str):
        value = CHOICE_ALIASES.get(name, {}).get(value.strip(), value.strip())
    if value in (None, ""):
        if default is None:
            err(name, f"missing (one of {', '.join(allowed)})")
        return default
    if value not in allowed:
        err(name, f"{value!r} is not one of {', '.join(allowed)}")
        return default
    return value


def _integer(record, name, err) -> int | None:
    value = record.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        err(name, f"expected a whole number, got {value!r}")
        return None
    try:
        return int(str(value).replace(",", "").strip())
    except ValueError:
        err(name, f"expected a whole number, got {value!r}")
        return None


def _year(record, name, err, *, required=False) -> int | None:
    year = _integer(record, name, err)
    if year is None:
        if required and name in record and record[name] in (None, ""):  # an unreadable year is reported once, above
            err(name, "empty")
        return None
    last = datetime.date.today().year + 5
    if not FIRST_YEAR <= year <= last:
        err(name, f"{year} is not a year between {FIRST_YEAR} and {last}")
        return None
    return year


def _money(record, name, err) -> int | None:
    amount = _integer(record, name, err)
    if amount is not None and amount < 0:
        err(name, f"{amount} is negative")
        return None
    return amount


def _list(record, name, err) -> list:
    value = record.get(name)
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(";") if part.strip()]
    if not isinstance(value, list):
        err(name, f"expected a list, got {type(value).__name__}")
        return []
    return value


def _term(record, name, terms: dict, err):
    value = record.get(name)
    if value in (None, ""):
        if name in record:
            err(name, "empty")
        return None
    term = terms.get(str(value).strip().casefold())
    if term is None:
        known = sorted({t.name for t in terms.values()})
        err(name, f"unknown value {value!r} (known: {', '.join(known)})")
    return term


def _place(record, vocab: Vocabulary, err) -> tuple[Place | None, tuple[str, str] | None]:
    country = str(record.get("country") or "").strip().upper()
    region = str(record.get("region") or "").strip()
    municipality = str(record.get("municipality") or "").strip()
    if not COUNTRY_PATTERN.match(country):
        err("country", f"{record.get('country')!r} is not a two-letter country code (KR for Korea)")
        return None, None
    if country != KOREA:
        if not municipality:
            err("municipality", "an overseas case needs its city in 'municipality'")
            return None, None
        return None, (country, municipality[:80])
    province = vocab.provinces.get(region.casefold()) if region else None
    if province is None:
        err("region", f"unknown 시도 {region!r}" if region else "empty (the 시도 of a Korean case)")
        return None, None
    if not municipality:
        return province, None
    place = vocab.municipalities.get((province.pk, municipality.casefold()))
    if place is None:
        err("municipality", f"{municipality!r} is not a 시군구 of {province.name}")
    return place, None


def _participating_place(label: str, vocab: Vocabulary, err) -> Place | None:
    region, _, municipality = label.strip().partition(" ")
    province = vocab.provinces.get(region.casefold())
    if province is None:
        err("participating", f"unknown 시도 in {label!r} (write '시도 시군구', e.g. '경기도 성남시')")
        return None
    if not municipality:
        return province
    place = vocab.municipalities.get((province.pk, municipality.strip().casefold()))
    if place is None:
        err("participating", f"{municipality!r} is not a 시군구 of {province.name}")
    return place


def _objects(record, name, allowed: set, required: set, err) -> list[dict]:
    items = record.get(name)
    if items in (None, "", []):
        return []
    if isinstance(items, str):
        try:
            items = json.loads(items)
        except json.JSONDecodeError:
            err(name, "expected a JSON list of objects")
            return []
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        err(name, "expected a list of objects")
        return []
    for item in items:
        if missing := required - {k for k, v in item.items() if str(v or "").strip()}:
            err(name, f"an item lacks {', '.join(sorted(missing))}")
        if extra := set(item) - allowed:
            err(name, f"unknown keys {', '.join(sorted(extra))}")
    return [{k: str(v).strip() for k, v in item.items() if k in allowed} for item in items]


# Writing ----------------------------------------------------------------


def cases_import(*, records: list, dry_run: bool = False, row_numbers: Sequence[int] | None = None, user=None) -> ImportResult:
    """Validate every record; if all are valid (and this is not a dry run) write them all in one transaction.

    `row_numbers` name each record's row in error messages (a spreadsheet's own numbers). `user` is the person
    importing through the admin, held to their rights (`user_row_errors`): a curator's cases are published, an
    official's go to the curators' review. None is the operator at the command line: published.
    """
    result = ImportResult(dry_run=dry_run)
    rows, result.errors = validate_records(records, Vocabulary(), row_numbers=row_numbers)
    if not records:
        result.errors.append(RowError(0, "", "(file)", "no records"))
    existing = {
        case.key: case for case in CaseStudyPage.objects.filter(key__in=[r.key for r in rows]).prefetch_related("participating_places")
    }
    if user is not None:
        result.errors.extend(user_row_errors(rows, existing, user=user))
        result.errors.sort(key=lambda error: error.row)
    if result.errors:
        return result
    for row in rows:
        (result.updated if row.key in existing else result.created).append(row.key)
    if dry_run:
        return result
    with transaction.atomic():
        index = CaseIndexPage.objects.get()
        for row in rows:
            case_record_write(row, index, user=user)
    return result


def user_row_errors(rows: list[CaseRow], existing: dict[str, CaseStudyPage], *, user) -> list[RowError]:
    """What this person may not import: curators anything; officials only cases led by their own local government
    (and no update of another's case). Personal data stops a row for everyone, as it stops publishing in the editor."""
    errors = []
    for row in rows:
        if not permissions.is_curator(user):
            errors.extend(_rights_errors(row, existing.get(row.key), user=user))
        errors.extend(_pii_errors(row))
    return errors


def _rights_errors(row: CaseRow, case: CaseStudyPage | None, *, user) -> list[RowError]:
    member = permissions.member_of(user)
    if row.lead_place is None or member is None or row.lead_place.pk != member.place_id:
        field_name = "region" if row.lead_place is not None and row.lead_place.parent_id is None else "municipality"
        own = member.place.full_name if member else "-"
        return [RowError(row.row, row.key, field_name, _("소속 지자체(%(place)s)가 주관하는 사례만 가져올 수 있습니다.") % {"place": own})]
    if case is not None and not permissions.can_manage_case(user, case):
        return [RowError(row.row, row.key, "key", _("다른 지자체의 사례(%(title)s)와 같은 키입니다.") % {"title": case.title})]
    return []


def _pii_errors(row: CaseRow) -> list[RowError]:
    message = _("개인정보로 보이는 내용이 있습니다: %(found)s. 지우거나 가린 뒤 다시 올려 주세요.")
    return [
        RowError(row.row, row.key, name, message % {"found": f"{finding.type_label} {finding.finding.masked}"})
        for name in CASE_PII_FIELDS
        for finding in pii_findings_in({name: row.values.get(name) or ""})
    ]


def case_row_apply(row: CaseRow, case: CaseStudyPage, *, extra: dict | None = None) -> CaseStudyPage:
    """Set everything a validated row carries (and `extra` fields) on `case`: a new page or a latest revision."""
    lead_place = row.lead_place or foreign_city_get_or_create(*row.foreign_city)
    for name, value in {**row.values, **(extra or {})}.items():
        setattr(case, name, value)
    case.slug = row.key
    case.lead_place = lead_place
    case.participating_places = [p for p in row.participating if p.pk != lead_place.pk]
    case.technologies = row.technologies
    case.tags.set(row.tags)
    case.indicators = [CaseOutcomeIndicator(**item, sort_order=i) for i, item in enumerate(row.indicators)]
    case.assets = [CaseAsset(**item, sort_order=i) for i, item in enumerate(row.assets)]
    return case


def case_record_write(row: CaseRow, index: CaseIndexPage, *, user=None) -> CaseStudyPage:
    """Create or update the row's case as a new revision: published for curators and the import command (no user),
    sent to the curators' review for officials. The import, the API and the admin upload all write through here."""
    existing = CaseStudyPage.objects.filter(key=row.key).first()
    case = case_row_apply(row, existing.get_latest_revision_as_object() if existing else CaseStudyPage(key=row.key))
    if existing is None:
        case.live, case.owner = False, user  # live once published below, or once the curators approve it
        index.add_child(instance=case)
    case.full_clean()
    revision = case.save_revision(user=user)
    if user is None or permissions.is_curator(user):
        revision.publish(user=user)
    else:
        _review_request(case, user=user)
    return case


def _review_request(case: CaseStudyPage, *, user) -> None:
    """An official's imported case goes to the curators' review ("사례 검토" workflow), as one saved in the editor."""
    state = case.current_workflow_state
    if state is None:
        if workflow := case.get_workflow():
            workflow.start(case, user)
    elif state.status == state.STATUS_NEEDS_CHANGES:
        state.resume(user)
    # A review in progress goes on: approving it publishes the latest revision, this one.


def foreign_city_get_or_create(country: str, city: str) -> Place:
    place, _ = Place.objects.get_or_create(
        code=f"{country}:{city}",
        defaults={"name": city, "name_en": city, "level": Place.Level.FOREIGN_CITY, "kind": Place.Kind.FOREIGN_CITY, "country": country},
    )
    return place
