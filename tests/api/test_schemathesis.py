"""Schemathesis against the real WSGI application: every operation of /api/v1/openapi.json, with generated requests,
must answer no 5xx and only what the schema says (status codes, content types, headers, bodies).

Reads run anonymously; writes with a curator's write token, the deepest path (a case is published and indexed).
The search endpoints run on a SQLite-FTS5 index of their own holding a few cases.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cases.api import EXAMPLE_KEY
from hub.api_auth import api_token_create
from tests.factories import make_case, make_user
from tests.search_helpers import index_now

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture
def wsgi_application():
    """hub/wsgi.py's application, keeping the test's database connection open across requests as Django's test client
    does (a real request's end closes it, which on PostgreSQL would end the test's transaction)."""
    from hub.wsgi import application

    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield application
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def api_schema(wsgi_application, search_sqlite, settings):
    settings.API_ANONYMOUS_RATE = settings.API_TOKEN_RATE = "100000/min"  # hundreds of requests in a few seconds
    common = {"summary": "어린이보호구역 횡단보도에 바닥 신호등과 음성 안내를 설치했습니다.", "sector": "safety"}
    make_case(key=EXAMPLE_KEY, place_code="11680", title="강남 AI 신호 제어", technologies=("ai", "iot"), **common)
    make_case(key="suwon-crosswalk", place_code="41110", title="수원 스마트 횡단보도", technologies=("iot",), **common)
    make_case(key="members-case", place_code="26110", title="부산 스마트 횡단보도", visibility="members", **common)
    index_now()
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_application)


@pytest.fixture
def curator_token():
    return api_token_create(user=make_user(role="curator"), name="schemathesis", scope="write")[1]


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@hypothesis_settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same requests every run: CI never fails by luck; widen max_examples to explore
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found, which is enough to fix it
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_as_its_schema_says(case, curator_token):
    headers = {"Authorization": f"Bearer {curator_token}"} if case.method == "POST" else {}
    case.call_and_validate(headers=headers, checks=CHECKS)
