"""The search page (/search/): parse the query string, ask the search service, render facets, hits and pages.

Every state of the page is a plain GET URL built from the same parameters in one fixed order, so a search can be
bookmarked, shared and reopened exactly. A bad parameter (a mistyped code in a shared link, page=abc) never fails
the page: it is dropped or replaced by the nearest usable value, and the page says what it ignored and why — an
official who pasted a link should still see results, not an error page.

The same query string exported as a file (/search/export.csv, .xlsx, .json) is built in search/exports.py.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlencode

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import exports
from .labels import label_for
from .service import (
    FACETS,
    MAX_RESULT_WINDOW,
    SearchFilters,
    SearchParameterError,
    SearchRequest,
    SearchResult,
    SearchUnavailable,
    search,
)

PAGE_SIZE = 20
FILTERS = ("region", "municipality", "sector", "technology", "stage", "type", "year", "lang", "featured", "award")
# The order of the facet groups on the page: place first, as officials think of "who did this" before "what"; the
# curators' picks (featured, awards) follow the vocabularies.
FACET_ORDER = ("region", "municipality", "sector", "technology", "stage", "featured", "award", "year", "type", "lang")
FACET_LABELS = {
    "region": gettext_lazy("시도"),
    "municipality": gettext_lazy("시군구"),
    "sector": gettext_lazy("분야"),
    "technology": gettext_lazy("기술"),
    "stage": gettext_lazy("단계"),
    "year": gettext_lazy("연도"),
    "type": gettext_lazy("유형"),
    "lang": gettext_lazy("언어"),
    "featured": gettext_lazy("큐레이터 추천"),
    "award": gettext_lazy("시상"),
}
# The long facet lists show their most frequent values and fold the rest under "더 보기"; the 17 시도 and the short
# vocabularies are always shown whole, as officials scan them for their own.
FACET_VISIBLE = {"municipality": 10, "technology": 10, "year": 10}
# Removing 시도 removes the 시군구 inside it too: a 시군구 without its 시도 is rarely what the chip's reader meant.
REMOVES_WITH = {"region": ("municipality",)}
NOTICE_VALUE_CHARS = 40


# View models -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FacetLink:
    label: str
    count: int
    url: str  # selects the value, or removes it when it is the active one
    active: bool


@dataclass(frozen=True)
class FacetGroup:
    name: str
    label: str
    links: list[FacetLink]
    more: list[FacetLink]  # folded under "더 보기"


@dataclass(frozen=True)
class ActiveFilter:
    name: str
    label: str  # the facet's name, e.g. 시도
    value_label: str  # e.g. 경기도
    remove_url: str
    remaining: int | None = None  # results once this filter is removed (only worked out for an empty page)


@dataclass(frozen=True)
class ResultPage:
    """What templates/includes/pagination.html reads from a Django Page, for one page of search results."""

    number: int
    num_pages: int

    @property
    def paginator(self) -> ResultPage:
        return self

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


# The view ----------------------------------------------------------------------------------------------------------


def search_view(request):
    search_request, notices = search_request_from(request.GET)
    context = {"request_state": search_request, "text": search_request.text, "notices": notices}
    try:
        result, notices = _search_repaired(search_request, viewer=request.user, notices=notices)
        context.update(_result_context(result, viewer=request.user), notices=notices)
    except SearchUnavailable:
        return _unavailable(request, search_request, context)
    return render(request, "search/search.html", context)


def _unavailable(request, search_request: SearchRequest, context: dict):
    # The page still works as a page: the header, the search box and a way round through the case list.
    context.update(unavailable=True, browse_url=_case_browse_url(search_request))
    response = render(request, "search/search.html", context, status=503)
    response["Retry-After"] = "60"
    return response


def search_export_view(request, fmt: str):
    """/search/export.csv|xlsx|json: the search the same query string shows, every result the viewer may see (up to
    exports.EXPORT_CAP) rather than one page. Unlike the page, a bad parameter is refused (400, naming it): a file
    quietly holding a different search than asked for would mislead whoever opens it later."""
    params = request.GET.copy()
    params.pop("page", None)  # an export is every page
    search_request, notices = search_request_from(params)
    context = {"request_state": search_request, "text": search_request.text, "search_url": state_url(search_request)}
    if fmt not in exports.FORMATS:
        return _export_refused(
            request, fmt, _("내보내기 형식 ‘%(value)s’는 없습니다. csv, xlsx, json 중 하나를 쓰세요.") % {"value": _short(fmt)}, context
        )
    if notices:  # with the page left out, only an unreadable year gets here
        return _export_refused(request, fmt, _unknown_value("year", params.get("year", "")), context)
    try:
        export = exports.search_export(search_request, viewer=request.user, absolute_url=request.build_absolute_uri)
    except SearchParameterError as error:
        return _export_refused(request, fmt, _export_reason(search_request, error), context)
    except SearchUnavailable:
        return _unavailable(request, search_request, context)
    response = HttpResponse(exports.WRITERS[fmt](export), content_type=exports.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{exports.export_filename(export, fmt)}"'
    return response


def _export_reason(request: SearchRequest, error: SearchParameterError) -> str:
    name = error.parameter
    if name in FILTERS:
        return _unknown_value(name, str(getattr(request.filters, name)))
    if name == "sort":
        return _("정렬 방식 ‘%(value)s’는 없습니다. relevance 또는 newest를 쓰세요.") % {"value": _short(request.sort)}
    return f"{name}: {error.reason}"


def _unknown_value(name: str, value: str) -> str:
    return _("%(facet)s ‘%(value)s’는 알 수 없는 값입니다.") % {"facet": FACET_LABELS[name], "value": _short(value)}


def _export_refused(request, fmt: str, reason: str, context: dict):
    if fmt == "json":
        return JsonResponse({"detail": reason}, status=400, json_dumps_params={"ensure_ascii": False})
    return render(request, "search/export_error.html", {**context, "reason": reason}, status=400)


# Parsing -----------------------------------------------------------------------------------------------------------


def search_request_from(params) -> tuple[SearchRequest, list[str]]:
    """The request a query string asks for, and a notice for each value that could not even be read."""
    notices: list[str] = []
    values: dict[str, str | int | None] = {}
    for name in FILTERS:
        value = params.get(name, "").strip()
        if name == "year" and value:
            year = _integer(value)
            if year is None:
                notices.append(_unknown_notice(name, value))
            value = year
        values[name] = value if value != "" else ("" if name != "year" else None)
    page = 1
    if raw_page := params.get("page", "").strip():
        page = _integer(raw_page)
        if page is None:
            notices.append(_("페이지 번호 ‘%(value)s’를 읽을 수 없어 첫 페이지를 보여 드립니다.") % {"value": _short(raw_page)})
            page = 1
    request = SearchRequest(
        text=params.get("q", ""),
        filters=SearchFilters(**values),
        sort=params.get("sort", "").strip() or "relevance",
        page=page,
        page_size=PAGE_SIZE,
    )
    return request, notices


def _integer(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


def _search_repaired(request: SearchRequest, *, viewer, notices: list[str]) -> tuple[SearchResult, list[str]]:
    """Search, repairing each parameter the service refuses; the service checks parameters before it asks the
    backend, so a refused parameter costs no query. A page past the last one shows the last one."""
    notices = list(notices)
    for _attempt in range(len(FILTERS) + 3):
        try:
            result = search(request, viewer=viewer)
        except SearchParameterError as error:
            request, notice = _repaired(request, error)
            notices.append(notice)
            continue
        if not result.hits and result.total and request.page > result.page_count:
            notices.append(_("결과는 %(count)s 페이지까지 있어 마지막 페이지를 보여 드립니다.") % {"count": result.page_count})
            result = search(replace(request, page=result.page_count), viewer=viewer)
        return result, notices
    # Every parameter has a fallback, so this only happens if the service starts refusing a new kind of value.
    return search(SearchRequest(text=request.text, page_size=PAGE_SIZE), viewer=viewer), [
        *notices,
        _("검색 조건을 쓸 수 없어 검색어로만 찾았습니다."),
    ]


def _repaired(request: SearchRequest, error: SearchParameterError) -> tuple[SearchRequest, str]:
    name = error.parameter
    if name in FILTERS:
        value = getattr(request.filters, name)
        filters = replace(request.filters, **{name: None if name == "year" else ""})
        return replace(request, filters=filters), _unknown_notice(name, str(value))
    if name == "sort":
        # Without search words the page is always newest first, so only name the order that will really be used.
        if request.text.strip():
            notice = _("정렬 방식 ‘%(value)s’는 없어 관련도순으로 보여 드립니다.") % {"value": _short(request.sort)}
        else:
            notice = _("정렬 방식 ‘%(value)s’는 없어 최신순으로 보여 드립니다.") % {"value": _short(request.sort)}
        return replace(request, sort="relevance"), notice
    if name == "page" and request.page < 1:
        return replace(request, page=1), _("페이지 번호는 1부터 시작해 첫 페이지를 보여 드립니다.")
    if name == "page":
        last = MAX_RESULT_WINDOW // request.page_size
        notice = _("검색 결과는 %(count)s번째까지만 볼 수 있어 %(page)s 페이지를 보여 드립니다. 필터로 범위를 좁혀 보세요.") % {
            "count": f"{MAX_RESULT_WINDOW:,}",
            "page": last,
        }
        return replace(request, page=last), notice
    return SearchRequest(text=request.text, page_size=request.page_size), _("검색 조건을 쓸 수 없어 검색어로만 찾았습니다.")


def _unknown_notice(name: str, value: str) -> str:
    return _("%(facet)s ‘%(value)s’는 알 수 없는 값이라 빼고 검색했습니다.") % {"facet": FACET_LABELS[name], "value": _short(value)}


def _short(value: str) -> str:
    return value if len(value) <= NOTICE_VALUE_CHARS else value[: NOTICE_VALUE_CHARS - 1] + "…"


# URLs --------------------------------------------------------------------------------------------------------------


def state_params(request: SearchRequest, **changes) -> list[tuple[str, str]]:
    """The query string of a search state, in one fixed order and without defaults, so that one state has one URL.

    `changes` set (or, with "" / None, remove) parameters; changing anything but the page returns to page one.
    """
    state: dict[str, str | int | None] = {"q": request.text.strip(), **request.filters.__dict__, "sort": request.sort}
    state["page"] = request.page
    if any(name != "page" for name in changes):
        state["page"] = 1
    state.update(changes)
    params = [("q", state["q"])] + [(name, state[name]) for name in FILTERS]
    if state["q"] and state["sort"] != "relevance":
        params.append(("sort", state["sort"]))
    if state["page"] and state["page"] != 1:
        params.append(("page", state["page"]))
    return [(name, str(value)) for name, value in params if value not in ("", None)]


def state_url(request: SearchRequest, **changes) -> str:
    params = state_params(request, **changes)
    return f"?{urlencode(params)}" if params else "?"


def _without(request: SearchRequest, name: str) -> dict:
    return {other: None if other == "year" else "" for other in (name, *REMOVES_WITH.get(name, ()))}


def _case_browse_url(request: SearchRequest) -> str:
    """The case list (database, not the index) with the filters it knows: the way round a search outage."""
    filters = request.filters
    known = {
        "region": filters.region,
        "sector": filters.sector,
        "technology": filters.technology,
        "stage": filters.stage,
        "lang": filters.lang,
    }
    query = urlencode({name: value for name, value in known.items() if value})
    return f"/cases/?{query}" if query else "/cases/"


# The page ----------------------------------------------------------------------------------------------------------


def _result_context(result: SearchResult, *, viewer) -> dict:
    request = result.request
    active = _active_filters(request)
    if not result.total and active:
        active = [replace(f, remaining=_remaining_without(request, f.name, viewer=viewer)) for f in active]
    sorts = [("relevance", _("관련도순")), ("newest", _("최신순"))]
    return {
        "result": result,
        "request_state": request,
        "facet_groups": _facet_groups(result),
        "active_filters": active,
        "clear_filters_url": state_url(request, **{name: None if name == "year" else "" for name in FILTERS}),
        "sort_links": [(label, state_url(request, sort=value), value == request.sort) for value, label in sorts],
        "sortable": bool(request.text.strip()),
        "result_page": ResultPage(number=request.page, num_pages=result.page_count),
        "page_query": urlencode(state_params(request, page=None)),
        "first_number": (request.page - 1) * request.page_size + 1,
        "hidden_params": [(n, v) for n, v in state_params(request, page=None) if n != "q"],
        "export_cap": exports.EXPORT_CAP,
    }


def _active_filters(request: SearchRequest) -> list[ActiveFilter]:
    return [
        ActiveFilter(
            name=name,
            label=str(FACET_LABELS[name]),
            value_label=label_for(name, str(value)),
            remove_url=state_url(request, **_without(request, name)),
        )
        for name, value in request.filters.active().items()
    ]


def _remaining_without(request: SearchRequest, name: str, *, viewer) -> int:
    smaller = replace(request, filters=replace(request.filters, **_without(request, name)), page=1, page_size=1)
    return search(smaller, viewer=viewer).total


def _facet_groups(result: SearchResult) -> list[FacetGroup]:
    request = result.request
    groups = []
    for name in FACET_ORDER:
        if name not in FACETS:
            continue
        # 시군구 are many; they make sense once a 시도 narrows them (or one is already chosen).
        if name == "municipality" and not (request.filters.region or request.filters.municipality):
            continue
        active_value = getattr(request.filters, name)
        links = []
        for value in result.facets.get(name, []):
            active = active_value not in ("", None) and str(active_value) == value.value
            url = state_url(request, **_without(request, name)) if active else state_url(request, **{name: value.value})
            links.append(FacetLink(label=value.label, count=value.count, url=url, active=active))
        if links:
            visible = FACET_VISIBLE.get(name, len(links))
            groups.append(FacetGroup(name=name, label=str(FACET_LABELS[name]), links=links[:visible], more=links[visible:]))
    return groups
