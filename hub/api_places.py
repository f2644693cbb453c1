"""/api/v1/places/: Korean local governments (시도, 시군구) and the foreign cities cases refer to."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from hub.api_paging import ACCESS_ERRORS, BadRequest, ErrorOut, PageOut, PageParams, no_nul, paginate
from hub.models import Place

router = Router(tags=["places"])


class PlaceOut(Schema):
    code: str = Field(description="행정표준코드 5 digits for Korea ('41110'); 'CC:City' for a foreign city ('JP:Tokyo').")
    name: str = Field(description="Official name, Korean for Korean places. 이름.")
    name_en: str = Field(description="English name, may be empty. 영문 이름.")
    level: Literal["province", "municipality", "foreign_city"] = Field(
        description="province (시도), municipality (시군구) or foreign_city."
    )
    kind: str = Field(description="특별시, 광역시, 특별자치시, 도, 특별자치도, 시, 군, 구, or 'city' abroad.")
    parent: str | None = Field(description="Code of the 시도 a 시군구 belongs to; null otherwise. 상위 지자체 코드.")
    country: str = Field(description="ISO 3166-1 alpha-2 country code. 국가 코드.")

    @staticmethod
    def resolve_parent(place: Place) -> str | None:
        return place.parent.code if place.parent_id else None


class PlaceListOut(PageOut):
    results: list[PlaceOut]


class PlaceListParams(PageParams):
    level: Literal["province", "municipality", "foreign_city"] | None = Field(None, description="Only places of this level. 단위.")
    parent: str | None = Field(None, description="Only the 시군구 of this 시도 code, e.g. 41000. 상위 지자체 코드.")
    country: str | None = Field(None, pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2 country code, e.g. KR or JP. 국가 코드.")


@router.get(
    "/places/",
    response={200: PlaceListOut, 400: ErrorOut, **ACCESS_ERRORS},
    summary="List places · 지역 목록",
    description="Korean 시도 and 시군구 by 행정표준코드, and foreign cities cases refer to, ordered by code.",
)
def place_list(request: HttpRequest, params: Query[PlaceListParams]):
    places = Place.objects.select_related("parent").order_by("code")
    if params.level:
        places = places.filter(level=params.level)
    if params.parent:
        if not Place.objects.provinces().filter(code=no_nul("parent", params.parent)).exists():
            raise BadRequest("parent", f"'{params.parent}' is not the code of a 시도 (e.g. 41000 for 경기도).")
        places = places.filter(parent__code=params.parent)
    if params.country:
        places = places.filter(country=params.country.upper())
    return paginate(request, places, page=params.page, page_size=params.page_size)
