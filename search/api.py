"""/api/v1/search/, /api/v1/suggest/ and /api/v1/cases/{key}/similar/: the search service (search/service.py) as JSON.

The endpoints parse parameters and call the service with the caller as viewer, so the service's visibility rule is the
API's: anonymous callers find public items, approved members (session sign-in) also members-only ones. Query text is
passed as text and never as Elasticsearch syntax. A bad parameter answers 400 naming it; a search backend that
cannot answer answers 503 with Retry-After.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from cases.api import CASE_KEY, PlaceRefOut
from cases.importing import KEY_PATTERN
from cases.models import CaseStudyPage
from hub.api_paging import ACCESS_ERRORS, BadRequest, ErrorOut, PageParams, ServiceUnavailable, page_link, province_code
from hub.models import Place

from .service import (
    DOCUMENT_TYPES,
    FACETS,
    MAX_RESULT_WINDOW,
    Hit,
    SearchFilters,
    SearchParameterError,
    SearchRequest,
    SearchResult,
    SearchUnavailable,
    similar_cases,
    suggest,
)
from .service import search as search_service

logger = logging.getLogger(__name__)
router = Router(tags=["search"])

DocumentType = Literal[tuple(DOCUMENT_TYPES)]
SIMILAR_LIMIT = 5


# Schemas ------------------------------------------------------------------


class SearchHitOut(Schema):
    key: str = Field(
        description="Case key for cases (as in /api/v1/cases/{key}/), slug for communities and showcases, 'log-12' or 'post-7' otherwise. 키."
    )
    type: DocumentType = Field(description="case, log, post, community or showcase. 종류.")
    title: str = Field(description="제목.")
    url: str = Field(description="Absolute URL of the item's page. 주소.")
    region: PlaceRefOut | None = Field(description="The 시도 the item belongs to; null for foreign cities and items without a place. 시도.")
    municipality: PlaceRefOut | None = Field(
        description="The 시군구 or foreign city; null when a 시도 itself leads or the item has no place. 시군구 또는 해외 도시."
    )
    sector: str | None = Field(description="Slug of the first sector, or null. 대표 분야 슬러그.")
    sectors: list[str] = Field(description="Every sector slug: posts and communities may have several. 분야 슬러그 목록.")
    technologies: list[str] = Field(description="Technology slugs. 기술 슬러그 목록.")
    stage: str | None = Field(description="Stage slug for cases and logs, or null. 단계 슬러그.")
    snippet: str = Field(description="HTML: escaped text with the matched words in <mark>…</mark>; safe to insert as HTML. 발췌.")
    score: float = Field(description="Relevance score; compare only within one response. 관련도 점수.")
    featured: bool = Field(description="A case the national curators feature (always false for other types). 큐레이터 추천 사례.")
    awards: list[str] = Field(description="Slugs of the awards a case holds, e.g. best-practice. 시상 슬러그 목록.")


class FacetValueOut(Schema):
    value: str = Field(description="Filter value: pass it as the parameter of the same name. 필터 값.")
    label: str = Field(description="Label for people. 이름.")
    count: int = Field(description="Matching items with this value. 항목 수.")


class FacetsOut(Schema):
    region: list[FacetValueOut] = Field(description="시도 codes. 시도.")
    municipality: list[FacetValueOut] = Field(description="시군구 or foreign city codes. 시군구.")
    sector: list[FacetValueOut] = Field(description="Sector slugs. 분야.")
    technology: list[FacetValueOut] = Field(description="Technology slugs. 기술.")
    stage: list[FacetValueOut] = Field(description="Stage slugs. 단계.")
    year: list[FacetValueOut] = Field(description="Years. 연도.")
    type: list[FacetValueOut] = Field(description="Content types. 종류.")
    lang: list[FacetValueOut] = Field(description="Languages (ko, en). 언어.")
    featured: list[FacetValueOut] = Field(description="Featured cases: the one value 'yes'. 큐레이터 추천.")
    award: list[FacetValueOut] = Field(description="Award slugs. 시상.")


class SearchOut(Schema):
    total: int = Field(description="Items matching the query and filters, over all pages. 전체 결과 수.")
    next: str | None = Field(description="Absolute URL of the next page, or null on the last reachable page. 다음 페이지.")
    previous: str | None = Field(description="Absolute URL of the previous page, or null on the first page. 이전 페이지.")
    results: list[SearchHitOut]
    facets: FacetsOut = Field(description="Counts per value over every matching item, for narrowing the search. 패싯.")


class SuggestionOut(Schema):
    text: str = Field(description="Title to offer. 제안 제목.")
    type: DocumentType = Field(description="case, log, post, community or showcase. 종류.")
    url: str = Field(description="Absolute URL of the item's page. 주소.")


class SuggestOut(Schema):
    suggestions: list[SuggestionOut]


class SimilarCaseOut(SearchHitOut):
    same_region: bool = Field(description="Both cases are in the same 시도. 같은 시도 여부.")
    shared_sectors: list[str] = Field(description="Sector slugs both cases have. 공통 분야.")
    shared_technologies: list[str] = Field(description="Technology slugs both cases use. 공통 기술.")
    shared_terms: list[str] = Field(description="A few distinctive words both cases use. 공통 주제어.")
    reasons: list[str] = Field(description="Why the case is similar, for people, e.g. '분야: 환경'. 유사한 이유.")


class SimilarOut(Schema):
    results: list[SimilarCaseOut] = Field(description="Cases of other regions first. 유사 사례.")


class SearchParams(PageParams):
    q: str = Field(
        "",
        description="Search text, any length and characters, always read as words (no query syntax); empty: browse, newest first. 검색어.",
    )
    region: str | None = Field(None, description="시도 by code (41000) or name (경기도, Gyeonggi-do). 시도.")
    municipality: str | None = Field(None, description="시군구 code (41110) or foreign city code (FI:Helsinki). 시군구.")
    sector: str | None = Field(None, description="Sector slug, e.g. urban-transport. 분야.")
    technology: str | None = Field(None, description="Technology slug, e.g. ai. 기술.")
    stage: str | None = Field(None, description="Stage slug, e.g. pilot. 단계.")
    type: DocumentType | None = Field(None, description="Only this content type. 종류.")
    year: int | None = Field(None, ge=1900, le=2100, description="Year: start year of a case, publication year otherwise. 연도.")
    lang: Literal["ko", "en"] | None = Field(None, description="Language of the item. 언어.")
    featured: Literal["yes"] | None = Field(None, description="yes: only cases the national curators feature. 큐레이터 추천 사례만.")
    award: str | None = Field(None, description="Only cases holding this award, by slug, e.g. best-practice. 시상.")
    sort: Literal["relevance", "newest"] = Field(
        "relevance", description="relevance (default) or newest; an empty q always sorts newest. 정렬."
    )


class SuggestParams(Schema):
    q: str = Field("", description="What the user has typed so far; the last word counts as a prefix. 입력 중인 검색어.")


# Endpoints ------------------------------------------------------------------

COMMON_ERRORS = {400: ErrorOut, 503: ErrorOut, **ACCESS_ERRORS}


@router.get(
    "/search/",
    response={200: SearchOut, **COMMON_ERRORS},
    summary="Search · 검색",
    description=(
        "Cases, project logs, community posts, communities and showcases the caller may read, with highlights and facets. "
        f"Results are reachable up to the {MAX_RESULT_WINDOW:,}th; unknown filter values and pages past the last answer 400."
    ),
)
def search(request: HttpRequest, params: Query[SearchParams]):
    search_request = SearchRequest(text=params.q, filters=_filters(params), sort=params.sort, page=params.page, page_size=params.page_size)
    with _search_errors():
        result = search_service(search_request, viewer=request.user)
    if params.page > result.page_count:
        raise BadRequest(
            "page",
            f"page {params.page} is beyond the last page ({result.page_count}) for {result.total} result(s) at page_size {params.page_size}.",
        )
    places = _places_of(result.hits)
    return {
        "total": result.total,
        "next": page_link(request, params.page + 1) if _next_reachable(result) else None,
        "previous": page_link(request, params.page - 1) if result.has_previous else None,
        "results": [_hit_out(request, hit, places) for hit in result.hits],
        "facets": {name: result.facets.get(name, []) for name in FACETS},
    }


@router.get(
    "/suggest/",
    response={200: SuggestOut, **COMMON_ERRORS},
    summary="Suggest titles · 검색어 제안",
    description="Titles the caller may read that match what was typed, the last word as a prefix. An empty q answers an empty list.",
)
def suggest_titles(request: HttpRequest, params: Query[SuggestParams]):
    with _search_errors():
        suggestions = suggest(params.q, viewer=request.user)
    return {"suggestions": [{"text": s.text, "type": s.type, "url": request.build_absolute_uri(s.url)} for s in suggestions]}


@router.get(
    "/cases/{key}/similar/",
    response={200: SimilarOut, 404: ErrorOut, 503: ErrorOut, **ACCESS_ERRORS},
    summary="Similar cases · 유사 사례",
    description="Published cases most like this one that the caller may read, other regions first, each with its reasons. "
    "A case the caller may not read answers 404, like /api/v1/cases/{key}/.",
)
def case_similar(request: HttpRequest, key: str = CASE_KEY):
    case = CaseStudyPage.objects.visible_to(request.user).filter(key=key).first() if KEY_PATTERN.match(key) else None
    if case is None:
        raise HttpError(404, f"key: no case '{key}'.")
    with _search_errors():
        similar = similar_cases(case, viewer=request.user, limit=SIMILAR_LIMIT)
    places = _places_of([s.hit for s in similar])
    return {
        "results": [
            {
                **_hit_out(request, s.hit, places),
                "same_region": s.same_region,
                "shared_sectors": list(s.shared_sectors),
                "shared_technologies": list(s.shared_technologies),
                "shared_terms": list(s.shared_terms),
                "reasons": [str(reason) for reason in s.reasons],
            }
            for s in similar
        ]
    }


# Helpers --------------------------------------------------------------------


def _filters(params: SearchParams) -> SearchFilters:
    return SearchFilters(
        region=province_code(params.region) if params.region else "",
        municipality=params.municipality or "",
        sector=params.sector or "",
        technology=params.technology or "",
        stage=params.stage or "",
        type=params.type or "",
        year=params.year,
        lang=params.lang or "",
        featured=params.featured or "",
        award=params.award or "",
    )


@contextmanager
def _search_errors():
    """The service's errors as API errors: a bad parameter is 400 naming it, a backend that cannot answer is 503."""
    try:
        yield
    except SearchParameterError as exc:
        raise BadRequest(exc.parameter, exc.reason) from exc
    except SearchUnavailable as exc:
        # The backend's own message names hosts and ports: it goes to the log; callers only need to know to come back.
        logger.warning("search API answered 503: %s", exc)
        raise ServiceUnavailable("search", "the search index is not answering right now; try again shortly.") from exc


def _next_reachable(result: SearchResult) -> bool:
    # The last page of a capped result may reach past the window; a link to it would only answer 400.
    return result.has_next and (result.request.page + 1) * result.request.page_size <= MAX_RESULT_WINDOW


def _places_of(hits: list[Hit]) -> dict[str, Place]:
    """Every place the hits name, in one query."""
    codes = {code for hit in hits for code in (hit.region, hit.municipality) if code}
    return Place.objects.in_bulk(codes, field_name="code") if codes else {}


def _hit_out(request: HttpRequest, hit: Hit, places: dict[str, Place]) -> dict:
    return {
        "key": hit.key,
        "type": hit.type,
        "title": hit.title,
        "url": request.build_absolute_uri(hit.url),
        "region": places.get(hit.region),
        "municipality": places.get(hit.municipality),
        "sector": hit.sectors[0] if hit.sectors else None,
        "sectors": list(hit.sectors),
        "technologies": list(hit.technologies),
        "stage": hit.stage or None,
        "snippet": hit.snippet,
        "score": hit.score,
        "featured": hit.is_featured,
        "awards": list(hit.awards),
    }
