"""/api/v1/cases/: the published case studies a caller may read, as structured data.

Visibility is decided by `CaseStudyPage.objects.visible_to(user)` (through `cases.selectors.case_queryset`), the same
rule the pages use: anonymous callers get public cases, approved members (session sign-in) also members-only ones,
nobody gets drafts. A case the caller may not read answers 404, exactly like a key that does not exist.
"""

from __future__ import annotations

import datetime
from typing import Literal

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from hub.api_paging import BadRequest, ErrorOut, PageOut, PageParams, paginate, province_code
from hub.models import Place

from .models import CaseAsset, CaseStudyPage, Sector, Stage, Technology
from .selectors import case_queryset

router = Router(tags=["cases"])


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
    place = Place.objects.exclude(level=Place.Level.PROVINCE).filter(code=value).first()
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
    response={200: CaseListOut, 400: ErrorOut},
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
    response={200: CaseDetailOut, 404: ErrorOut},
    summary="Case detail · 사례 상세",
    description="Every structured fact of one case. A members-only case answers 404 to callers who may not read it.",
)
def case_detail(request: HttpRequest, key: str):
    case = (
        _with_lists(CaseStudyPage.objects.visible_to(request.user).with_facts())
        .prefetch_related(Prefetch("assets", queryset=CaseAsset.objects.select_related("document")))
        .filter(key=key)
        .first()
    )
    if case is None:
        raise HttpError(404, f"key: no case '{key}'.")
    return case
