"""Importing case studies from JSON or CSV: parse → validate every row → write all rows in one transaction, or none.

Format (README "Importing cases"): one record per case with the fields in FIELDS. Re-importing a key updates that case.
"""

from __future__ import annotations

import csv
import datetime
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction

from hub.models import Place
from hub.models.places import KOREA

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


def read_records(path: Path) -> list[dict]:
    """Records of a .json (a list of objects) or .csv (header row; lists separated by ';') file."""
    if not path.exists():
        raise ImportFileError(f"{path}: no such file")
    suffix = path.suffix.lower()
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
        return data
    if suffix == ".csv":
        reader = csv.DictReader(text.splitlines())
        if not reader.fieldnames:
            raise ImportFileError(f"{path}: the CSV has no header row")
        return [_csv_record(record) for record in reader]
    raise ImportFileError(f"{path}: unsupported file type '{suffix}' (use .json or .csv)")


def _csv_record(record: dict) -> dict:
    out = {}
    for name, value in record.items():
        if name is None:  # more cells than header columns
            out["__extra_cells__"] = value
            continue
        value = (value or "").strip()
        out[name.strip()] = [part.strip() for part in value.split(";") if part.strip()] if name.strip() in LIST_FIELDS else value
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


def validate_records(records: list, vocabulary: Vocabulary) -> tuple[list[CaseRow], list[RowError]]:
    rows, errors, seen = [], [], {}
    for number, record in enumerate(records, start=1):
        row, row_errors = _validate_record(number, record, vocabulary)
        errors.extend(row_errors)
        if row is not None:
            if row.key in seen:
                errors.append(RowError(number, row.key, "key", f"duplicate key; row {seen[row.key]} has it already"))
            seen.setdefault(row.key, number)
            rows.append(row)
    return rows, errors


def _validate_record(number: int, record: Any, vocab: Vocabulary) -> tuple[CaseRow | None, list[RowError]]:
    if not isinstance(record, dict):
        return None, [RowError(number, "", "(row)", f"expected an object, got {type(record).__name__}")]
    key = str(record.get("key") or "").strip()
    errors: list[RowError] = []

    def err(field_name: str, message: str) -> None:
        errors.append(RowError(number, key, field_name, message))

    if "__extra_cells__" in record:
        err("(row)", "more cells than the header has columns")
    for unknown in sorted(set(record) - set(FIELDS) - {"__extra_cells__"}):
        err(unknown, f"unknown field (allowed: {', '.join(FIELDS)})")
    for name in REQUIRED:
        if name not in record:
            err(name, "missing")

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
        if required and name in record:
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


def cases_import(*, records: list, dry_run: bool = False) -> ImportResult:
    """Validate every record; if all are valid (and this is not a dry run) write them all in one transaction."""
    result = ImportResult(dry_run=dry_run)
    rows, result.errors = validate_records(records, Vocabulary())
    if not records:
        result.errors.append(RowError(0, "", "(file)", "no records"))
    if result.errors:
        return result
    existing = set(CaseStudyPage.objects.filter(key__in=[r.key for r in rows]).values_list("key", flat=True))
    for row in rows:
        (result.updated if row.key in existing else result.created).append(row.key)
    if dry_run:
        return result
    with transaction.atomic():
        index = CaseIndexPage.objects.get()
        for row in rows:
            _write(row, index)
    return result


def _write(row: CaseRow, index: CaseIndexPage) -> CaseStudyPage:
    lead_place = row.lead_place or foreign_city_get_or_create(*row.foreign_city)
    existing = CaseStudyPage.objects.filter(key=row.key).first()
    case = existing.get_latest_revision_as_object() if existing else CaseStudyPage(key=row.key)
    for name, value in row.values.items():
        setattr(case, name, value)
    case.slug = row.key
    case.lead_place = lead_place
    case.participating_places = [p for p in row.participating if p.pk != lead_place.pk]
    case.technologies = row.technologies
    case.tags.set(row.tags)
    case.indicators = [CaseOutcomeIndicator(**item, sort_order=i) for i, item in enumerate(row.indicators)]
    case.assets = [CaseAsset(**item, sort_order=i) for i, item in enumerate(row.assets)]
    if existing is None:
        index.add_child(instance=case)
    case.full_clean()
    case.save_revision().publish()
    return case


def foreign_city_get_or_create(country: str, city: str) -> Place:
    place, _ = Place.objects.get_or_create(
        code=f"{country}:{city}",
        defaults={"name": city, "name_en": city, "level": Place.Level.FOREIGN_CITY, "kind": Place.Kind.FOREIGN_CITY, "country": country},
    )
    return place
