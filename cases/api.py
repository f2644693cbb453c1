"""/api/v1/cases/: the published case studies a caller may read, as structured data; and the two writes, creating a
case (POST /api/v1/cases/) and a project log entry (POST /api/v1/cases/{key}/logs/), for write-token callers.

Visibility is decided by `CaseStudyPage.objects.visible_to(user)` (through `cases.selectors.case_queryset`), the same
rule the pages use: anonymous callers get public cases, approved members (session sign-in) also members-only ones,
nobody gets drafts. A case the caller may not read answers 404, exactly like a key that does not exist.
"""

from __future__ import annotations

import datetime
import re
from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import BeforeValidator, StrictInt, field_validator

from hub import permissions
from hub.api_auth import ApiTokenAuth
from hub.api_paging import ACCESS_ERRORS, BadRequest, ErrorOut, PageOut, PageParams, no_nul, paginate, province_code
from hub.models import Place
from hub.pii_guard import OVERRIDE_REASON_MAX_CHARS, PiiBlocked, pii_blocked_record, pii_guard, pii_override_record

from . import importing, services
from .admin_forms import CASE_PII_FIELDS
from .forms import ProjectLogEntryForm
from .importing import KEY_PATTERN, CaseRow, Vocabulary, validate_records
from .models import CaseAsset, CaseIndexPage, CaseStudyPage, ProjectLogEntry, Sector, Stage, Technology
from .models.pages import Language, ProcurementMethod, Visibility
from .selectors import case_queryset

router = Router(tags=["cases"])
EXAMPLE_KEY = "seoul-gangnam-ai-signal"  # a case of the demo content (cases/demo/cases.json)
CASE_KEY = Path(description=f"Case key, as in the results of /api/v1/cases/ (e.g. {EXAMPLE_KEY}). 사례 키.", example=EXAMPLE_KEY)


# Schemas ------------------------------------------------------------------


class TermOut(Schema):
    slug: str = Field(description="Stable identifier, usable as a filter value. 슬러그.")
    name: str = Field(description="Korean label. 이름.")
    name_en: str = Field(description="English label, may be empty. 영문 이름.")


class PlaceRefOut(Schema):
    code: str = Field(description="행정표준코드 (5 digits) or 'CC:City' for a foreign city. 코드.")
    name: str = Field(description="이름.")
    name_en: str = Field(description="영문 이름, may be empty.")


class IndicatorOut(Schema):
    label: str = Field(description="What was measured. 지표.")
    value: str = Field(description="The measured value, as written. 값.")
    unit: str = Field(description="Unit, e.g. '% 감소'. 단위.")


class AssetOut(Schema):
    kind: Literal["tender", "code", "manual", "other"] = Field(description="tender, code, manual or other. 종류.")
    title: str = Field(description="제목.")
    url: str = Field(description="Absolute link to the document or external resource. 링크.")


class BudgetOut(Schema):
    total: int | None = Field(description="Total budget in KRW. 총사업비(원).")
    national: int | None = Field(description="National share in KRW. 국비(원).")
    local: int | None = Field(description="Local share in KRW. 지방비(원).")
    running_cost_yearly: int | None = Field(description="Yearly running cost in KRW. 연간 운영비(원).")


class ProcurementOut(Schema):
    method: str = Field(description="조달 방식 (일반경쟁, 제한경쟁, 협상에 의한 계약, 수의계약, 혁신제품 구매, 기타), or empty.")
    vendors: str = Field(description="수행 업체, as written.")
    contract_start: datetime.date | None = Field(description="계약 시작일.")
    contract_end: datetime.date | None = Field(description="계약 종료일.")


class ContactOut(Schema):
    name: str = Field(description="담당 부서·담당자.")
    email: str = Field(description="연락처 이메일.")
    phone: str = Field(description="연락처 전화.")


class CaseSummaryOut(Schema):
    key: str = Field(description="Stable case identifier, used in /api/v1/cases/{key}/. 사례 키.")
    title: str = Field(description="제목.")
    url: str = Field(description="Absolute URL of the case page. 사례 페이지 주소.")
    language: Literal["ko", "en"] = Field(description="Language the case is written in. 언어.")
    visibility: Literal["public", "members"] = Field(description="public, or members (approved members only). 공개 범위.")
    summary: str = Field(description="요약.")
    region: PlaceRefOut | None = Field(description="The 시도 of the lead local government; null for a foreign city. 시도.")
    municipality: PlaceRefOut | None = Field(
        description="The lead 시군구, or the foreign city; null when a 시도 itself leads. 시군구 또는 해외 도시."
    )
    country: str = Field(description="ISO 3166-1 alpha-2 country of the lead place. 국가.")
    participating: list[PlaceRefOut] = Field(description="Other local governments taking part. 참여 지자체.")
    sector: TermOut = Field(description="분야.")
    stage: TermOut = Field(description="단계.")
    technologies: list[TermOut] = Field(description="기술.")
    tags: list[str] = Field(description="Free tags. 태그.")
    start_year: int = Field(description="시작 연도.")
    end_year: int | None = Field(description="종료 연도.")
    indicators: list[IndicatorOut] = Field(description="Measured outcomes. 성과 지표.")
    first_published_at: datetime.datetime | None = Field(description="최초 게시 시각.")
    last_published_at: datetime.datetime | None = Field(description="최종 게시 시각.")

    @staticmethod
    def resolve_url(case: CaseStudyPage, context) -> str:
        request = context["request"]
        return request.build_absolute_uri(case.get_url(request))

    @staticmethod
    def resolve_region(case: CaseStudyPage):
        return case.lead_place.province

    @staticmethod
    def resolve_municipality(case: CaseStudyPage):
        return case.municipality

    @staticmethod
    def resolve_country(case: CaseStudyPage) -> str:
        return case.lead_place.country

    @staticmethod
    def resolve_participating(case: CaseStudyPage):
        return list(case.participating_places.all())

    @staticmethod
    def resolve_technologies(case: CaseStudyPage):
        return list(case.technologies.all())

    @staticmethod
    def resolve_tags(case: CaseStudyPage) -> list[str]:
        return [tag.name for tag in case.tags.all()]

    @staticmethod
    def resolve_indicators(case: CaseStudyPage):
        return list(case.indicators.all())


class CaseDetailOut(CaseSummaryOut):
    problem: str = Field(description="Markdown source. 문제.")
    solution: str = Field(description="Markdown source. 해결 방법.")
    outcomes: str = Field(description="Markdown source. 성과.")
    lessons: str | None = Field(
        description="Markdown source; null when the case restricts lessons to approved members and the caller is not one. 교훈과 실패."
    )
    lessons_visibility: Literal["public", "members"] = Field(description="Who may read the lessons. 교훈과 실패 공개 범위.")
    budget: BudgetOut = Field(description="비용.")
    procurement: ProcurementOut = Field(description="조달.")
    partners: str = Field(description="협력 기관, as written.")
    assets: list[AssetOut] = Field(description="Reusable material: tender documents, code, manuals. 재사용 자료.")
    contact: ContactOut = Field(description="연락처.")

    @staticmethod
    def resolve_lessons(case: CaseStudyPage, context) -> str | None:
        return case.lessons if case.lessons_visible_to(context["request"].user) else None

    @staticmethod
    def resolve_budget(case: CaseStudyPage) -> dict:
        return {
            "total": case.budget_total,
            "national": case.budget_national,
            "local": case.budget_local,
            "running_cost_yearly": case.running_cost_yearly,
        }

    @staticmethod
    def resolve_procurement(case: CaseStudyPage) -> dict:
        return {
            "method": case.procurement_method,
            "vendors": case.vendors,
            "contract_start": case.contract_start,
            "contract_end": case.contract_end,
        }

    @staticmethod
    def resolve_assets(case: CaseStudyPage, context) -> list[dict]:
        request = context["request"]
        return [{"kind": asset.kind, "title": asset.title, "url": request.build_absolute_uri(asset.href)} for asset in case.assets.all()]

    @staticmethod
    def resolve_contact(case: CaseStudyPage) -> dict:
        return {"name": case.contact_name, "email": case.contact_email, "phone": case.contact_phone}


class CaseListOut(PageOut):
    results: list[CaseSummaryOut]


class CaseListParams(PageParams):
    region: str | None = Field(None, description="시도 by code (41000) or name (경기도, Gyeonggi-do): cases led by it or its 시군구.")
    municipality: str | None = Field(None, description="Lead 시군구 code (41110), or a foreign city code (JP:Tokyo).")
    sector: str | None = Field(None, description="Sector slug, e.g. urban-transport. 분야.")
    stage: str | None = Field(None, description="Stage slug, e.g. pilot. 단계.")
    technology: str | None = Field(None, description="Technology slug, e.g. ai. 기술.")
    lang: Literal["ko", "en"] | None = Field(None, description="Language the case is written in. 언어.")
    year: int | None = Field(None, ge=1900, le=2100, description="Start year. 시작 연도.")


# Parameter checks -----------------------------------------------------------


def _lead_place(value: str) -> Place:
    place = Place.objects.exclude(level=Place.Level.PROVINCE).filter(code=no_nul("municipality", value)).first()
    if place is None:
        raise BadRequest("municipality", f"'{value}' is not a 시군구 code (e.g. 41110) or foreign city code; for a 시도 use region.")
    return place


def _known_slug(model, parameter: str, value: str) -> str:
    slugs = list(model.objects.values_list("slug", flat=True))
    if value not in slugs:
        raise BadRequest(parameter, f"unknown {parameter} '{value}'; known values: {', '.join(slugs)}.")
    return value


# Endpoints ------------------------------------------------------------------


def _with_lists(queryset):
    return queryset.prefetch_related("tags", "indicators", Prefetch("participating_places", queryset=Place.objects.order_by("code")))


@router.get(
    "/cases/",
    response={200: CaseListOut, 400: ErrorOut, **ACCESS_ERRORS},
    summary="List cases · 사례 목록",
    description="Published cases the caller may read, newest first. Unknown filter values answer 400.",
)
def case_list(request: HttpRequest, params: Query[CaseListParams]):
    cases = case_queryset(
        user=request.user,
        region=province_code(params.region) if params.region else "",
        sector=_known_slug(Sector, "sector", params.sector) if params.sector else "",
        stage=_known_slug(Stage, "stage", params.stage) if params.stage else "",
        technology=_known_slug(Technology, "technology", params.technology) if params.technology else "",
        lang=params.lang or "",
    )
    if params.municipality:
        cases = cases.filter(lead_place=_lead_place(params.municipality))
    if params.year:
        cases = cases.filter(start_year=params.year)
    return paginate(request, _with_lists(cases), page=params.page, page_size=params.page_size)


@router.get(
    "/cases/{key}/",
    response={200: CaseDetailOut, 404: ErrorOut, **ACCESS_ERRORS},
    summary="Case detail · 사례 상세",
    description="Every structured fact of one case. A members-only case answers 404 to callers who may not read it.",
)
def case_detail(request: HttpRequest, key: str = CASE_KEY):
    case = _with_detail(CaseStudyPage.objects.visible_to(request.user)).filter(key=key).first() if KEY_PATTERN.match(key) else None
    if case is None:
        raise HttpError(404, f"key: no case '{key}'.")
    return case


def _with_detail(queryset):
    return _with_lists(queryset.with_facts()).prefetch_related(Prefetch("assets", queryset=CaseAsset.objects.select_related("document")))


# Writes -----------------------------------------------------------------------------------------------------------
#
# The same rules as the site: a case's fields are checked by the import's validator (cases/importing.py, so the API
# and `import_cases` accept the same records), a log entry by the site's form and service; both pass the PII guard.

WRITE_AUTH = ApiTokenAuth(write=True)


ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _iso_date(value):
    """Only 'YYYY-MM-DD' text, as the schema says: pydantic alone would also take 0 (1970-01-01) or '2026-11-20T00:00'."""
    if not isinstance(value, str) or not ISO_DATE.match(value):
        raise ValueError("expected a date as YYYY-MM-DD")
    return datetime.date.fromisoformat(value)


IsoDate = Annotated[datetime.date, BeforeValidator(_iso_date)]


def _refuse_nul(value):
    """NUL characters cannot be stored by PostgreSQL; refused in every text of a body, lists and objects included."""
    texts = value if isinstance(value, list) else [value]
    if any(isinstance(text, str) and "\x00" in text for text in texts):
        raise ValueError("must not contain NUL characters")
    return value


class IndicatorIn(Schema):
    label: str = Field(min_length=1, max_length=200, description="What was measured. 지표.")
    value: str = Field(min_length=1, max_length=100, description="The measured value, as written. 값.")
    unit: str = Field("", max_length=50, description="Unit, e.g. '% 감소'. 단위.")

    refuse_nul = field_validator("label", "value", "unit")(_refuse_nul)


class AssetIn(Schema):
    kind: Literal["tender", "code", "manual", "other"] = Field(description="tender, code, manual or other. 종류.")
    title: str = Field(min_length=1, max_length=255, description="제목.")
    url: str = Field(min_length=1, max_length=500, description="An http(s) link. 링크.")

    refuse_nul = field_validator("title", "url")(_refuse_nul)


class CaseIn(Schema):
    """The fields of the import format (README "Importing cases"), as JSON."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "key": "jongno-smart-shelter",
                    "title": "종로 스마트 버스 쉼터",
                    "language": "ko",
                    "country": "KR",
                    "region": "서울특별시",
                    "municipality": "종로구",
                    "sector": "safety",
                    "technologies": ["iot"],
                    "stage": "pilot",
                    "start_year": 2025,
                    "summary": "버스정류장에 냉난방과 비상벨을 갖춘 쉼터를 설치했습니다.",
                    "indicators": [{"label": "하루 이용자", "value": "1200", "unit": "명"}],
                }
            ]
        }
    }

    key: str = Field(pattern=KEY_PATTERN.pattern, description="Lowercase slug, unique on this hub; becomes the page address. 사례 키.")
    title: str = Field(min_length=1, max_length=255, description="제목.")
    language: Literal[tuple(Language.values)] = Field(description="Language the case is written in. 언어.")
    country: str = Field(pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2 country of the lead place, KR for Korea. 국가.")
    region: str = Field("", max_length=100, description="Lead 시도 by code or name (경기도, 41000); empty for a foreign case. 시도.")
    municipality: str = Field(
        "", max_length=100, description="Lead 시군구 by name or code (수원시, 41110); empty when the 시도 leads; the city abroad. 시군구."
    )
    sector: str = Field(min_length=1, max_length=100, description="Sector by slug or name (safety, 안전). 분야.")
    technologies: list[str] = Field(max_length=30, description="Technologies by slug or name (ai, IoT). 기술.")
    stage: str = Field(min_length=1, max_length=100, description="Stage by slug or name (pilot, 실증). 단계.")
    start_year: StrictInt = Field(description="시작 연도.")
    end_year: StrictInt | None = Field(None, description="종료 연도.")
    summary: str = Field(min_length=1, max_length=50_000, description="요약.")
    problem: str = Field("", max_length=50_000, description="Markdown. 문제.")
    solution: str = Field("", max_length=50_000, description="Markdown. 해결 방법.")
    outcomes: str = Field("", max_length=50_000, description="Markdown. 성과.")
    lessons: str = Field("", max_length=50_000, description="Markdown. 교훈과 실패.")
    lessons_visibility: Literal[tuple(Visibility.values)] = Field(Visibility.MEMBERS, description="Who may read the lessons.")
    visibility: Literal[tuple(Visibility.values)] = Field(Visibility.PUBLIC, description="public, or members (approved members only).")
    partners: str = Field("", max_length=50_000, description="협력 기관.")
    vendors: str = Field("", max_length=255, description="수행 업체.")
    procurement_method: Literal[("", *ProcurementMethod.values)] = Field("", description="조달 방식.")
    budget_total: StrictInt | None = Field(None, ge=0, le=10**15, description="총사업비(원).")
    budget_national: StrictInt | None = Field(None, ge=0, le=10**15, description="국비(원).")
    budget_local: StrictInt | None = Field(None, ge=0, le=10**15, description="지방비(원).")
    running_cost_yearly: StrictInt | None = Field(None, ge=0, le=10**15, description="연간 운영비(원).")
    tags: list[str] = Field([], max_length=30, description="Free tags. 태그.")
    participating: list[str] = Field(
        [], max_length=50, description="Other local governments as '시도 시군구' (경기도 성남시). 참여 지자체."
    )
    indicators: list[IndicatorIn] = Field([], max_length=30, description="Measured outcomes. 성과 지표.")
    assets: list[AssetIn] = Field([], max_length=30, description="Reusable material. 재사용 자료.")
    contact_name: str = Field("", max_length=255, description="담당 부서·담당자.")
    contact_email: str = Field("", max_length=254, description="연락처 이메일.")
    contact_phone: str = Field("", max_length=50, description="연락처 전화.")
    pii_override_reason: str = Field(
        "",
        max_length=OVERRIDE_REASON_MAX_CHARS,
        description="Curators only: why text that looks like personal data may be published anyway. 개인정보 경고 무시 사유.",
    )

    refuse_nul = field_validator("*")(_refuse_nul)


class CaseCreatedOut(CaseDetailOut):
    status: Literal["published", "in_review", "draft"] = Field(
        description="published (a curator's case), in_review (submitted to the review workflow) or draft. 상태."
    )


class LogEntryIn(Schema):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "date": "2026-11-20",
                    "kind": "milestone",
                    "title": "시범 운영 시작",
                    "body": "정류장 3곳에서 **시범 운영**을 시작했습니다.",
                }
            ]
        }
    }

    date: IsoDate = Field(description="The day the update is about, YYYY-MM-DD. 날짜.")
    kind: Literal[tuple(ProjectLogEntry.Kind.values)] = Field(ProjectLogEntry.Kind.PROGRESS, description="종류.")
    title: str = Field(min_length=1, max_length=200, description="제목.")
    body: str = Field("", max_length=50_000, description="Markdown. 내용.")
    new_stage: str | None = Field(None, max_length=100, description="Stage slug; only with kind stage_change, and needed there. 새 단계.")
    pii_override_reason: str = Field("", max_length=OVERRIDE_REASON_MAX_CHARS, description="Curators only. 개인정보 경고 무시 사유.")

    refuse_nul = field_validator("title", "body", "new_stage", "pii_override_reason")(_refuse_nul)


class LogEntryOut(Schema):
    id: int = Field(description="로그 번호.")
    case: str = Field(description="Key of the case. 사례 키.")
    url: str = Field(description="Absolute URL of the entry on the case page. 주소.")
    date: datetime.date = Field(description="날짜.")
    kind: Literal[tuple(ProjectLogEntry.Kind.values)] = Field(description="종류.")
    title: str = Field(description="제목.")
    body: str = Field(description="Markdown source. 내용.")
    new_stage: TermOut | None = Field(description="The stage a stage_change moved the case to. 새 단계.")
    previous_stage: TermOut | None = Field(description="The stage before a stage_change. 이전 단계.")
    created_at: datetime.datetime = Field(description="작성 시각.")

    @staticmethod
    def resolve_case(entry: ProjectLogEntry) -> str:
        return entry.case.key

    @staticmethod
    def resolve_url(entry: ProjectLogEntry, context) -> str:
        request = context["request"]
        return request.build_absolute_uri(f"{entry.case.get_url(request)}#log-{entry.pk}")


WRITE_ERRORS = {400: ErrorOut, 403: ErrorOut, **ACCESS_ERRORS}


@router.post(
    "/cases/",
    auth=WRITE_AUTH,
    response={201: CaseCreatedOut, **WRITE_ERRORS},
    summary="Create a case · 사례 등록",
    description=(
        "Needs a write token. An official's case is a draft submitted for review, led by their own local government; "
        "a curator's is published. The fields and their rules are those of `import_cases`; an existing key answers 400."
    ),
)
def case_create(request: HttpRequest, payload: CaseIn):
    row = _valid_row(payload)
    _check_lead_place(request.user, row)
    try:
        case = case_create_from_row(row=row, author=request.user, pii_override_reason=payload.pii_override_reason)
    except PiiBlocked as blocked:
        raise BadRequest(_pii_field(blocked, CaseStudyPage, CASE_PII_FIELDS), blocked.messages[0]) from blocked
    except ValidationError as error:
        raise BadRequest(*_validation_error(error)) from error
    created = _with_detail(CaseStudyPage.objects.filter(pk=case.pk)).get()
    created.status = "published" if created.live else ("in_review" if created.workflow_in_progress else "draft")
    return Status(201, created)


@router.post(
    "/cases/{key}/logs/",
    auth=WRITE_AUTH,
    response={201: LogEntryOut, 404: ErrorOut, **WRITE_ERRORS},
    summary="Add a project log entry · 프로젝트 로그 작성",
    description="Needs a write token of someone who may manage the case: its local government's officials, or a curator.",
)
def log_entry_create(request: HttpRequest, payload: LogEntryIn, key: str = CASE_KEY):
    case = CaseStudyPage.objects.visible_to(request.user).filter(key=key).first() if KEY_PATTERN.match(key) else None
    if case is None:
        raise HttpError(404, f"key: no case '{key}'.")
    if not permissions.can_manage_case(request.user, case):
        raise HttpError(403, "key: only the officials of this case's local governments and curators may write its log.")
    data = payload.model_dump()
    data["new_stage"] = Stage.objects.get(slug=_known_slug(Stage, "new_stage", data["new_stage"])).pk if data["new_stage"] else None
    form = ProjectLogEntryForm(data, pii_override=permissions.is_curator(request.user))
    if not form.is_valid():
        raise BadRequest(*_first_error(form.errors.get_json_data()))
    try:
        entry = services.log_entry_create(case=case, author=request.user, **form.cleaned_data)
    except PiiBlocked as blocked:
        pii_blocked_record(blocked=blocked, user=request.user, target=case, subject=form.cleaned_data["title"])
        raise BadRequest(_pii_field(blocked, ProjectLogEntry, ("title", "body")), blocked.messages[0]) from blocked
    except ValidationError as error:
        raise BadRequest(*_validation_error(error)) from error
    return Status(201, ProjectLogEntry.objects.select_related("case", "new_stage", "previous_stage").get(pk=entry.pk))


def _first_error(errors: dict) -> tuple[str, str]:
    """A form's errors as (field, reason): the first field, every message of it ('__all__' reads 'request')."""
    name, messages = next(iter(errors.items()))
    return ("request" if name == "__all__" else name), " ".join(str(message["message"]) for message in messages)


def _validation_error(error: ValidationError) -> tuple[str, str]:
    """A model's ValidationError as (field, reason), for a 400."""
    if not hasattr(error, "error_dict"):
        return "request", " ".join(error.messages)
    name, messages = next(iter(error.message_dict.items()))
    return ("request" if name == "__all__" else name), " ".join(messages)


def _valid_row(payload: CaseIn) -> CaseRow:
    record = payload.model_dump(exclude={"pii_override_reason"})
    rows, errors = validate_records([record], Vocabulary())
    if errors:
        raise BadRequest(errors[0].field, "; ".join(e.message for e in errors if e.field == errors[0].field))
    row = rows[0]
    if CaseStudyPage.objects.filter(key=row.key).exists() or CaseIndexPage.objects.get().get_children().filter(slug=row.key).exists():
        raise BadRequest("key", f"a case with the key '{row.key}' exists already; choose another key.")
    return row


def _check_lead_place(user, row: CaseRow) -> None:
    """Officials file cases of their own local government only (as in the admin); curators file any."""
    if permissions.is_curator(user):
        return
    own = permissions.member_of(user).place
    if row.lead_place is None or row.lead_place.pk != own.pk:
        field = "municipality" if row.foreign_city or (row.lead_place and row.lead_place.parent_id) else "region"
        raise HttpError(403, f"{field}: officials may only file cases led by their own local government ({own.full_name}).")


def _pii_field(blocked: PiiBlocked, model, names) -> str:
    """The API name of the first field the guard found personal data in (the guard names fields by their labels)."""
    by_label = {str(_field_label(model, name)): name for name in names}
    return by_label.get(blocked.findings[0].field, names[0])


def _field_label(model, name: str) -> str:
    from django.utils.text import capfirst

    return capfirst(model._meta.get_field(name).verbose_name)


def case_create_from_row(*, row: CaseRow, author, pii_override_reason: str = "") -> CaseStudyPage:
    """A new case from a validated import row: published for a curator, else a draft started in the review workflow.

    Raises PiiBlocked when its text holds personal data (a curator's reason lets it through, recorded), and
    ValidationError when the page refuses its fields.
    """
    pii_fields = {str(_field_label(CaseStudyPage, name)): row.values.get(name) or "" for name in CASE_PII_FIELDS}
    try:
        overridden = pii_guard(fields=pii_fields, user=author, override_reason=pii_override_reason)
    except PiiBlocked as blocked:
        pii_blocked_record(blocked=blocked, user=author, target=None, subject=row.values["title"])  # kept: outside the write
        raise
    return _case_write(row=row, author=author, pii_overridden=overridden, pii_override_reason=pii_override_reason)


@transaction.atomic
def _case_write(*, row: CaseRow, author, pii_overridden, pii_override_reason: str) -> CaseStudyPage:
    # The import's own writer, so that a case made here is made as `import_cases` and the admin import make it: a
    # curator's is published, an official's goes to the curators' review.
    case = importing.case_record_write(row, CaseIndexPage.objects.get(), user=author)
    pii_override_record(findings=pii_overridden, user=author, target=case, subject=case.title, reason=pii_override_reason)
    return case
