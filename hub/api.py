"""The public JSON API (/api/v1/), with its OpenAPI schema at /api/v1/openapi.json and docs at /api/v1/docs.

Routers: cases/api.py (/cases/), hub/api_places.py (/places/), search/api.py (/search/, /suggest/,
/cases/{key}/similar/). Shared pagination and errors: hub/api_paging.py.
Every error is {"detail": "<parameter>: <reason>"}; bad parameters are 400, never 422 or 500; a backend that cannot
answer is 503 with Retry-After.
"""

from ninja import NinjaAPI
from ninja.errors import ValidationError
from ninja.renderers import JSONRenderer

from cases.api import router as cases_router
from hub.api_paging import ServiceUnavailable
from hub.api_places import router as places_router
from search.api import router as search_router


class Utf8JSONRenderer(JSONRenderer):
    """Writes Korean characters as they are (ensure_ascii off), so API responses stay readable."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(title="Gachi Hub API", version="1", urls_namespace="api-v1", description="가치허브 공개 API", renderer=Utf8JSONRenderer())


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    """Ninja's parameter validation errors (page=abc, page_size=1000) as 400 with a readable reason."""
    reasons = []
    for error in exc.errors:
        parameter = ".".join(str(part) for part in error.get("loc", ()) if part not in ("query", "path", "body", "params"))
        reasons.append(f"{parameter or 'request'}: {error.get('msg', 'invalid value')}")
    return api.create_response(request, {"detail": "; ".join(reasons)}, status=400)


@api.exception_handler(ServiceUnavailable)
def service_unavailable(request, exc: ServiceUnavailable):
    """503 with Retry-After, so clients (and proxies) back off and come back instead of hammering a down backend."""
    response = api.create_response(request, {"detail": str(exc)}, status=503)
    response["Retry-After"] = str(exc.retry_after)
    return response


api.add_router("/", cases_router)
api.add_router("/", places_router)
api.add_router("/", search_router)
