"""The public JSON API (/api/v1/), with its OpenAPI schema at /api/v1/openapi.json and docs at /api/v1/docs."""

from ninja import NinjaAPI

api = NinjaAPI(title="Gachi Hub API", version="1", urls_namespace="api-v1", description="가치허브 공개 API")
