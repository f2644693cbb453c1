"""The public JSON API (/api/v1/), with its OpenAPI schema at /api/v1/openapi.json and docs at /api/v1/docs.

Routers: cases/api.py (/cases/, and the writes /cases/ and /cases/{key}/logs/), hub/api_places.py (/places/),
search/api.py (/search/, /suggest/, /cases/{key}/similar/). Shared pagination and errors: hub/api_paging.py; tokens,
authentication and rate limits: hub/api_auth.py.
Every error is {"detail": "<parameter>: <reason>"}; bad parameters are 400, never 422 or 500; a backend that cannot
answer is 503 with Retry-After; too many requests are 429 with Retry-After.
"""

from django.conf import settings
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, Throttled, ValidationError
from ninja.openapi.docs import Swagger
from ninja.renderers import JSONRenderer

from cases.api import router as cases_router
from hub.api_auth import ApiRateThrottle, ApiTokenAuth, session_or_anonymous
from hub.api_paging import ServiceUnavailable
from hub.api_places import router as places_router
from search.api import router as search_router

DESCRIPTION = """가치허브 공개 API · The Gachi Hub open API.

**Versions.** This is version 1, at `/api/v1/`. Version 1 only grows: new endpoints, new optional parameters and new
response fields may appear, so clients should ignore fields they do not know. Anything that would break a client
(a field removed or renamed, a meaning changed) gets a new version at `/api/v2/`, and `/api/v1/` keeps answering
alongside it for a transition period.

**Reading** needs no account: anonymous callers read what is public. Approved members read members-only content too,
signed in on the site or with an API token (`Authorization: Bearer <token>`, made at `/accounts/tokens/`).

**Writing** (creating case studies and project log entries) needs a *write* token of an approved official or a
curator. Officials' cases are drafts submitted for review; curators' are published.

**Rate limits.** Anonymous callers may make {anonymous} requests per IP address, members signed in on the site as many
per session, and token callers {token} per token. Past the limit the API answers 429 with `Retry-After` (seconds).

**Errors** are `{{"detail": "<parameter>: <reason>"}}` with 400 (bad parameter or field), 401 (token missing or
invalid, with `WWW-Authenticate`), 403 (not allowed), 404, 429 or 503 (search backend down, with `Retry-After`).
"""


class Utf8JSONRenderer(JSONRenderer):
    """Writes Korean characters as they are (ensure_ascii off), so API responses stay readable."""

    json_dumps_params = {"ensure_ascii": False}


class HubAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs):
        """Reads accept a token but do not need one: OpenAPI says so with an empty alternative (`{}`) in `security`."""
        schema = super().get_openapi_schema(**kwargs)
        for operations in schema["paths"].values():
            for method, operation in operations.items():
                if method == "get" and operation.get("security") and {} not in operation["security"]:
                    operation["security"] = [{}, *operation["security"]]
        return schema


api = HubAPI(
    title="Gachi Hub API",
    version="1",
    urls_namespace="api-v1",
    description=DESCRIPTION.format(anonymous=settings.API_ANONYMOUS_RATE, token=settings.API_TOKEN_RATE),
    renderer=Utf8JSONRenderer(),
    auth=[ApiTokenAuth(), session_or_anonymous],
    throttle=[ApiRateThrottle()],
    # Swagger UI from ninja's own static files ("ninja" is in INSTALLED_APPS), never a CDN; no online validator.
    docs=Swagger(settings={"validatorUrl": None}),
)


def _parameter_name(location: tuple) -> str:
    """('query', 'page') → 'page'; ('body', 'payload', 'indicators', 0, 'label') → 'indicators.0.label'."""
    parts = [str(part) for part in location]
    if parts and parts[0] == "body":
        parts = parts[2:]  # the location and the name of the view's body argument say nothing to a caller
    elif parts and parts[0] in ("query", "path"):
        parts = [part for part in parts[1:] if part != "params"]
    return ".".join(parts)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    """Ninja's parameter and body validation errors (page=abc, a missing field) as 400 with a readable reason."""
    reasons = [f"{_parameter_name(error.get('loc', ())) or 'request'}: {error.get('msg', 'invalid value')}" for error in exc.errors]
    return api.create_response(request, {"detail": "; ".join(reasons)}, status=400)


@api.exception_handler(AuthenticationError)
def authentication_error(request, exc: AuthenticationError):
    """401 with the challenge RFC 6750 asks for, so clients know to send (or renew) a bearer token."""
    response = api.create_response(request, {"detail": str(exc)}, status=401)
    error = getattr(exc, "error", "")
    response["WWW-Authenticate"] = f'Bearer realm="api", error="{error}"' if error else 'Bearer realm="api"'
    return response


@api.exception_handler(Throttled)
def throttled(request, exc: Throttled):
    """429; ninja adds Retry-After (whole seconds) from the throttle's wait()."""
    rate = getattr(request, "api_rate", None)
    limit = f"more than {rate}" if rate else "too many requests"
    return api.create_response(request, {"detail": f"rate: {limit}; retry after the number of seconds in Retry-After."}, status=429)


@api.exception_handler(ServiceUnavailable)
def service_unavailable(request, exc: ServiceUnavailable):
    """503 with Retry-After, so clients (and proxies) back off and come back instead of hammering a down backend."""
    response = api.create_response(request, {"detail": str(exc)}, status=503)
    response["Retry-After"] = str(exc.retry_after)
    return response


api.add_router("/", cases_router)
api.add_router("/", places_router)
api.add_router("/", search_router)
