"""Pagination, error and parameter helpers shared by every router of the JSON API (hub/api.py)."""

from __future__ import annotations

import math

from django.http import HttpRequest
from ninja import Field, Schema
from ninja.errors import HttpError

from hub.models import Place

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


class BadRequest(HttpError):
    """A request parameter the API cannot use; answered as 400 {"detail": reason}."""

    def __init__(self, parameter: str, reason: str) -> None:
        super().__init__(400, f"{parameter}: {reason}")


class ServiceUnavailable(HttpError):
    """A backend the API needs cannot answer (search down); answered as 503 {"detail": reason} with Retry-After."""

    def __init__(self, service: str, reason: str, *, retry_after: int = 30) -> None:
        super().__init__(503, f"{service}: {reason}")
        self.retry_after = retry_after


class ErrorOut(Schema):
    detail: str = Field(description="Why the request failed, naming the parameter at fault. 실패 이유.")


# Any operation may answer these: 401 for a token that is not valid, 429 past the rate limit (hub/api_auth.py).
ACCESS_ERRORS = {401: ErrorOut, 429: ErrorOut}


def no_nul(parameter: str, value: str) -> str:
    """`value`, or a BadRequest: PostgreSQL cannot even compare text holding NUL characters, so they never reach a query."""
    if "\x00" in value:
        raise BadRequest(parameter, "must not contain NUL characters.")
    return value


class PageParams(Schema):
    page: int = Field(1, ge=1, description="1-based page number. 페이지 번호(1부터).")
    page_size: int = Field(
        DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description=f"Items per page, at most {MAX_PAGE_SIZE}. 페이지당 항목 수."
    )


class PageOut(Schema):
    count: int = Field(description="Number of items matching the filters, over all pages. 전체 항목 수.")
    next: str | None = Field(description="Absolute URL of the next page, or null on the last page. 다음 페이지.")
    previous: str | None = Field(description="Absolute URL of the previous page, or null on the first page. 이전 페이지.")


def province_code(value: str, *, parameter: str = "region") -> str:
    """The code of the 시도 given by code (41000), Korean name (경기도) or English name (gyeonggi-do), or a BadRequest."""
    no_nul(parameter, value)
    provinces = Place.objects.provinces()
    province = provinces.filter(code=value).first() if value.isdigit() else None
    province = province or provinces.filter(name=value).first() or provinces.filter(name_en__iexact=value).first()
    if province is None:
        raise BadRequest(parameter, f"'{value}' is not a 시도 code or name (e.g. 41000 or 경기도); for a 시군구 use municipality.")
    return province.code


def page_link(request: HttpRequest, page: int) -> str:
    """Absolute URL of `page` of this request, every other query parameter kept."""
    query = request.GET.copy()
    query["page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def paginate(request: HttpRequest, queryset, *, page: int, page_size: int) -> dict:
    """One page of `queryset` as {count, next, previous, results}; two queries plus the queryset's prefetches.

    Page 1 of an empty result is an empty page; any page past the last one is a BadRequest.
    """
    count = queryset.count()
    last_page = max(1, math.ceil(count / page_size))
    if page > last_page:
        raise BadRequest("page", f"page {page} is beyond the last page ({last_page}) for {count} result(s) at page_size {page_size}.")
    start = (page - 1) * page_size
    return {
        "count": count,
        "next": page_link(request, page + 1) if page < last_page else None,
        "previous": page_link(request, page - 1) if page > 1 else None,
        "results": list(queryset[start : start + page_size]),
    }
