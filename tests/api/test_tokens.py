"""API tokens (/accounts/tokens/), bearer authentication, the write endpoints and the rate limits of /api/v1/."""

import hashlib
import json
import re

import pytest
from django.contrib.auth.models import Group
from django.contrib.staticfiles import finders
from wagtail.models import WorkflowState

from cases.models import CaseStudyPage, ProjectLogEntry
from hub.api_auth import api_token_create
from hub.models import ApiToken, PiiFlag
from hub.models.members import OFFICIAL_GROUP
from tests.factories import make_case, make_user
from tests.hub.test_settings import start_production

pytestmark = pytest.mark.django_db

TOKENS = "/accounts/tokens/"
CASES = "/api/v1/cases/"


def bearer(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def token_for(user, scope="write"):
    return api_token_create(user=user, name="연동", scope=scope)[1]


def post_json(client, url, data, secret=None, **headers):
    if secret:
        headers |= bearer(secret)
    response = client.post(url, json.dumps(data), content_type="application/json", **headers)
    return response, json.loads(response.content)


def case_record(**overrides):
    """A valid record of the import format, led by 서울특별시 종로구 (the factories' default place)."""
    record = {
        "key": "jongno-smart-shelter",
        "title": "종로 스마트 쉼터",
        "language": "ko",
        "country": "KR",
        "region": "서울특별시",
        "municipality": "종로구",
        "sector": "safety",
        "technologies": ["iot", "AI"],
        "stage": "pilot",
        "start_year": 2024,
        "summary": "버스정류장에 냉난방과 비상벨을 갖춘 쉼터를 설치했습니다.",
        "tags": ["쉼터"],
        "indicators": [{"label": "이용자", "value": "1200", "unit": "명/일"}],
        "participating": ["서울특별시 중구"],
    }
    return record | overrides


# Token pages ------------------------------------------------------------------------------------------------------


def test_tokens_page_needs_sign_in(client):
    response = client.get(TOKENS)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_official_makes_a_write_token_shown_once_and_stored_only_as_a_hash(client):
    official = make_user(role="official")
    client.force_login(official)
    response = client.post(TOKENS, {"name": "우리 구 누리집", "scope": "write"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    secret = re.search(r'id="new-token" type="text" value="([^"]+)"', response.content.decode())[1]
    token = ApiToken.objects.get(user=official)
    assert (token.name, token.scope) == ("우리 구 누리집", "write")
    assert secret.startswith(f"{token.key_prefix}.") and len(secret) > 40
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(list(ApiToken.objects.values()))

    listing = client.get(TOKENS).content.decode()
    assert secret not in listing and f"{token.key_prefix}…" in listing and "우리 구 누리집" in listing
    assert client.get(f"{CASES}no-such-case/", **bearer(secret)).status_code == 404  # the token works


def test_members_make_read_tokens_only_and_pending_members_none(client):
    member = make_user(role="member")
    client.force_login(member)
    page = client.get(TOKENS).content.decode()
    assert 'value="write"' not in page and 'value="read"' in page
    client.post(TOKENS, {"name": "조회용", "scope": "write"})
    assert not ApiToken.objects.filter(user=member).exists()
    client.post(TOKENS, {"name": "조회용", "scope": "read"})
    assert ApiToken.objects.get(user=member).scope == "read"

    pending = make_user(role="pending")
    client.force_login(pending)
    page = client.get(TOKENS).content.decode()
    assert "가입을 승인하면 토큰을 만들 수 있습니다" in page and 'name="name"' not in page
    client.post(TOKENS, {"name": "조회용", "scope": "read"})
    assert not ApiToken.objects.filter(user=pending).exists()


def test_revoked_token_stops_working_and_only_its_owner_may_revoke_it(client):
    official = make_user(role="official")
    token, secret = api_token_create(user=official, name="연동", scope="write")
    assert client.get(CASES, **bearer(secret)).status_code == 200

    client.force_login(make_user(role="official"))
    assert client.post(TOKENS, {"revoke": str(token.pk)}).status_code == 404
    assert client.post(TOKENS, {"revoke": "not-a-number"}).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None

    client.force_login(official)
    response = client.post(TOKENS, {"revoke": str(token.pk)})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "폐기됨" in client.get(TOKENS).content.decode()
    client.logout()
    assert client.get(CASES, **bearer(secret)).status_code == 401


def test_a_member_holds_at_most_twenty_active_tokens(client):
    official = make_user(role="official")
    tokens = [api_token_create(user=official, name=f"연동 {n}", scope="read")[0] for n in range(20)]
    client.force_login(official)
    page = client.post(TOKENS, {"name": "하나 더", "scope": "read"}).content.decode()
    assert "20개까지" in page and ApiToken.objects.filter(user=official).count() == 20
    client.post(TOKENS, {"revoke": str(tokens[0].pk)})
    client.post(TOKENS, {"name": "하나 더", "scope": "read"})
    assert ApiToken.objects.active().filter(user=official).count() == 20


def test_token_use_is_recorded(client):
    token, secret = api_token_create(user=make_user(), name="조회", scope="read")
    assert token.last_used_at is None
    client.get(CASES, **bearer(secret))
    token.refresh_from_db()
    assert token.last_used_at is not None


# Authentication ---------------------------------------------------------------------------------------------------


def test_anonymous_and_session_writes_are_401_with_a_bearer_challenge(client):
    make_case(key="open-case")
    for path, body in ((CASES, case_record()), (f"{CASES}open-case/logs/", {"date": "2026-11-20", "title": "점검"})):
        response, detail = post_json(client, path, body)
        assert response.status_code == 401 and response["WWW-Authenticate"] == 'Bearer realm="api"'
        assert detail["detail"].startswith("authorization:") and "/accounts/tokens/" in detail["detail"]

    client.force_login(make_user(role="curator"))  # a session is for reading; writes take a token
    response, _ = post_json(client, CASES, case_record())
    assert response.status_code == 401
    assert not CaseStudyPage.objects.filter(key="jongno-smart-shelter").exists()


@pytest.mark.parametrize(
    "credentials",
    [
        "Bearer nonsense",
        "Bearer ",
        "Bearer ghub_00000000.unknown-secret",
        "Bearer ghub_0000\x00000.x",
        "bearer ghub_zzzzzzzz.x",
    ],
)
def test_invalid_tokens_are_401_on_reads_and_writes(client, credentials):
    for response in (
        client.get(CASES, HTTP_AUTHORIZATION=credentials),
        client.post(CASES, "{}", content_type="application/json", HTTP_AUTHORIZATION=credentials),
    ):
        assert response.status_code == 401, response.content
        assert response["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'
        assert json.loads(response.content)["detail"].startswith("authorization:")


def test_a_wrong_secret_for_a_real_prefix_is_401(client):
    token, secret = api_token_create(user=make_user(role="official"), name="연동", scope="write")
    forged = f"{token.key_prefix}.{'x' * 43}"
    assert client.get(CASES, **bearer(forged)).status_code == 401
    assert client.get(CASES, **bearer(secret)).status_code == 200


def test_tokens_of_people_who_may_not_write_are_403(client):
    member_reader = token_for(make_user(role="member"), scope="read")
    official = make_user(role="official")
    official_reader = token_for(official, scope="read")
    official_writer = token_for(official)
    for secret in (member_reader, official_reader):
        response, body = post_json(client, CASES, case_record(), secret)
        assert response.status_code == 403 and body["detail"].startswith("authorization:"), body

    official.groups.remove(Group.objects.get(name=OFFICIAL_GROUP))  # the role is checked at each request
    response, body = post_json(client, CASES, case_record(), official_writer)
    assert response.status_code == 403 and "approved officials" in body["detail"]
    assert not CaseStudyPage.objects.exists()


def test_a_token_reads_what_its_owner_may_read(client):
    make_case(key="members-case", visibility="members")
    assert client.get(f"{CASES}members-case/").status_code == 404
    reader = token_for(make_user(role="member"), scope="read")
    assert client.get(f"{CASES}members-case/", **bearer(reader)).status_code == 200
    assert [c["key"] for c in client.get(CASES, **bearer(reader)).json()["results"]] == ["members-case"]


# Creating cases ---------------------------------------------------------------------------------------------------


def test_an_officials_case_is_a_draft_submitted_for_review(client):
    official = make_user(role="official", place_code="11110")
    response, body = post_json(client, CASES, case_record(), token_for(official))
    assert response.status_code == 201, body
    assert body["status"] == "in_review" and body["key"] == "jongno-smart-shelter"
    assert body["municipality"]["code"] == "11110" and body["region"]["code"] == "11000"
    assert {t["slug"] for t in body["technologies"]} == {"iot", "ai"} and body["sector"]["slug"] == "safety"
    assert [p["code"] for p in body["participating"]] == ["11140"] and body["tags"] == ["쉼터"]
    assert body["indicators"] == [{"label": "이용자", "value": "1200", "unit": "명/일"}]
    assert body["first_published_at"] is None

    case = CaseStudyPage.objects.get(key="jongno-smart-shelter")
    assert not case.live and case.owner == official
    assert case.workflow_in_progress and WorkflowState.objects.get(object_id=str(case.pk)).requested_by == official
    assert client.get(f"{CASES}jongno-smart-shelter/").status_code == 404  # not published: nobody reads it yet


def test_a_curators_case_is_published(client):
    curator = make_user(role="curator")
    response, body = post_json(client, CASES, case_record(key="busan-case", region="부산광역시", municipality="중구"), token_for(curator))
    assert response.status_code == 201 and body["status"] == "published", body
    assert body["municipality"]["code"] == "26110" and body["first_published_at"]
    assert client.get(f"{CASES}busan-case/").json()["title"] == "종로 스마트 쉼터"


def test_an_official_files_cases_of_their_own_local_government_only(client):
    secret = token_for(make_user(role="official", place_code="11110"))
    response, body = post_json(client, CASES, case_record(region="경기도", municipality="수원시"), secret)
    assert response.status_code == 403 and body["detail"].startswith("municipality:") and "종로구" in body["detail"]
    response, body = post_json(client, CASES, case_record(region="서울특별시", municipality=""), secret)
    assert response.status_code == 403 and body["detail"].startswith("region:")
    response, body = post_json(client, CASES, case_record(country="JP", region="", municipality="Tokyo"), secret)
    assert response.status_code == 403 and body["detail"].startswith("municipality:")
    assert not CaseStudyPage.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"sector": "quantum"}, "sector", "unknown value"),
        ({"stage": "finished"}, "stage", "unknown value"),
        ({"technologies": ["warp-drive"]}, "technologies", "unknown value"),
        ({"municipality": "수원시"}, "municipality", "is not a 시군구 of 서울특별시"),
        ({"region": "없는도"}, "region", "unknown 시도"),
        ({"key": "Not A Slug"}, "key", "pattern"),
        ({"title": ""}, "title", "at least 1 character"),
        ({"title": "쉼터\x00"}, "title", "NUL"),
        ({"tags": ["ok", "bad\x00"]}, "tags", "NUL"),
        ({"language": "fr"}, "language", "'ko' or 'en'"),
        ({"start_year": 1800}, "start_year", "is not a year between"),
        ({"start_year": 2024, "end_year": 2020}, "end_year", "before start_year"),
        ({"budget_total": 100, "budget_national": 500}, "budget_total", "exceed the total"),
        ({"budget_total": -1}, "budget_total", "greater than or equal to 0"),
        ({"contact_email": "not-an-address"}, "contact_email", "not an e-mail address"),
        ({"participating": ["경기도 없는시"]}, "participating", "is not a 시군구 of 경기도"),
        ({"assets": [{"kind": "code", "title": "코드", "url": "ftp://example.org/x"}]}, "assets", "not an http(s) URL"),
        ({"indicators": [{"label": "이용자"}]}, "indicators.0.value", "Field required"),
    ],
)
def test_field_errors_are_400_naming_the_field(client, overrides, field, reason):
    secret = token_for(make_user(role="official"))
    response, body = post_json(client, CASES, case_record(**overrides), secret)
    assert response.status_code == 400, body
    assert body["detail"].startswith(f"{field}:") and reason in body["detail"], body
    assert not CaseStudyPage.objects.exists()


def test_missing_fields_and_broken_json_are_400(client):
    secret = token_for(make_user(role="official"))
    record = case_record()
    del record["summary"]
    response, body = post_json(client, CASES, record, secret)
    assert response.status_code == 400 and body["detail"] == "summary: Field required"
    response = client.post(CASES, "{not json", content_type="application/json", **bearer(secret))
    assert response.status_code == 400 and json.loads(response.content)["detail"]


def test_an_existing_key_is_400(client):
    make_case(key="jongno-smart-shelter")
    response, body = post_json(client, CASES, case_record(), token_for(make_user(role="official")))
    assert response.status_code == 400 and body["detail"].startswith("key:") and "exists already" in body["detail"]


def test_personal_data_in_a_case_is_refused_unless_a_curator_gives_a_reason(client):
    summary = "문의는 담당자 휴대폰 010-2345-6789로 주세요."
    response, body = post_json(client, CASES, case_record(summary=summary), token_for(make_user(role="official")))
    assert response.status_code == 400 and body["detail"].startswith("summary:"), body
    assert "개인정보" in body["detail"] and "010-2345-6789" not in body["detail"]
    assert not CaseStudyPage.objects.exists()
    assert PiiFlag.objects.get().outcome == PiiFlag.Outcome.BLOCKED

    curator_secret = token_for(make_user(role="curator"))
    response, body = post_json(client, CASES, case_record(summary=summary), curator_secret)
    assert response.status_code == 400 and "사유" in body["detail"]
    response, body = post_json(client, CASES, case_record(summary=summary, pii_override_reason="기관 대표번호입니다"), curator_secret)
    assert response.status_code == 201, body
    assert PiiFlag.objects.filter(outcome=PiiFlag.Outcome.OVERRIDDEN, reason="기관 대표번호입니다").count() == 1


# Writing log entries ----------------------------------------------------------------------------------------------


def test_an_official_logs_on_their_case_and_a_stage_change_moves_it(client):
    case = make_case(key="jongno-case", place_code="11110", stage="pilot")
    secret = token_for(make_user(role="official", place_code="11110"))
    entry = {"date": "2026-11-20", "kind": "stage_change", "title": "본 사업 전환", "body": "**운영** 단계로", "new_stage": "operation"}
    response, body = post_json(client, f"{CASES}jongno-case/logs/", entry, secret)
    assert response.status_code == 201, body
    assert body["case"] == "jongno-case" and body["kind"] == "stage_change" and body["title"] == "본 사업 전환"
    assert body["new_stage"]["slug"] == "operation" and body["previous_stage"]["slug"] == "pilot"
    assert body["url"] == f"http://testserver/cases/jongno-case/#log-{body['id']}"
    logged = ProjectLogEntry.objects.get(pk=body["id"])
    assert logged.body == "**운영** 단계로" and logged.date.isoformat() == "2026-11-20"
    case.refresh_from_db()
    assert case.stage.slug == "operation"


def test_log_entries_follow_the_sites_rules(client):
    make_case(key="jongno-case", place_code="11110")
    own = token_for(make_user(role="official", place_code="11110"))
    other = token_for(make_user(role="official", place_code="41110"))
    url = f"{CASES}jongno-case/logs/"

    response, body = post_json(client, url, {"date": "2026-11-20", "title": "점검"}, other)
    assert response.status_code == 403 and body["detail"].startswith("key:")
    response, body = post_json(client, f"{CASES}no-such-case/logs/", {"date": "2026-11-20", "title": "점검"}, own)
    assert response.status_code == 404 and body == {"detail": "key: no case 'no-such-case'."}

    bad = [
        ({"date": "2026-11-20", "kind": "stage_change", "title": "전환"}, "new_stage:"),
        ({"date": "2026-11-20", "kind": "progress", "title": "진행", "new_stage": "operation"}, "new_stage:"),
        ({"date": "2026-11-20", "kind": "stage_change", "title": "전환", "new_stage": "finished"}, "new_stage:"),
        ({"date": "not-a-date", "title": "진행"}, "date:"),
        ({"date": "2026-11-20", "title": ""}, "title:"),
        ({"date": "2026-11-20", "title": "x" * 201}, "title:"),
        ({"date": "2026-11-20", "kind": "rumour", "title": "진행"}, "kind:"),
        ({"title": "진행"}, "date:"),
    ]
    for entry, prefix in bad:
        response, body = post_json(client, url, entry, own)
        assert response.status_code == 400 and body["detail"].startswith(prefix), (entry, body)
    assert not ProjectLogEntry.objects.exists()


def test_personal_data_in_a_log_entry_is_refused_with_the_guards_message(client):
    make_case(key="jongno-case", place_code="11110")
    secret = token_for(make_user(role="official", place_code="11110"))
    entry = {"date": "2026-11-20", "title": "주민 설명회", "body": "참석 신청: 김철수 010-9876-5432"}
    response, body = post_json(client, f"{CASES}jongno-case/logs/", entry, secret)
    assert response.status_code == 400 and body["detail"].startswith("body: 개인정보로 보이는 내용이 있어 게시할 수 없습니다"), body
    assert "큐레이터에게 요청" in body["detail"]
    assert not ProjectLogEntry.objects.exists()
    assert PiiFlag.objects.get().outcome == PiiFlag.Outcome.BLOCKED


# Rate limits ------------------------------------------------------------------------------------------------------


def test_anonymous_callers_are_limited_per_address_with_retry_after(client, settings):
    settings.API_ANONYMOUS_RATE = "3/min"
    statuses = [client.get(CASES).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get(CASES)
    assert response.status_code == 429 and 1 <= int(response["Retry-After"]) <= 60
    assert json.loads(response.content)["detail"].startswith("rate: more than 3 requests per 60 s")

    assert client.get(CASES, REMOTE_ADDR="192.0.2.77").status_code == 200  # another address has its own count
    # Without trusted proxies X-Forwarded-For is the caller's own word and changes nothing.
    assert client.get(CASES, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
    # A member signed in on the site counts per session, not with everyone else at the office's address.
    client.force_login(make_user())
    assert [client.get(CASES).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_behind_a_trusted_proxy_the_forwarded_address_counts(client, settings):
    settings.API_ANONYMOUS_RATE = "1/min"
    settings.API_PROXY_COUNT = 1
    assert client.get(CASES, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 200
    assert client.get(CASES, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    assert client.get(CASES, HTTP_X_FORWARDED_FOR="spoofed, 203.0.113.6").status_code == 200


def test_token_callers_have_their_own_higher_limit(client, settings):
    settings.API_ANONYMOUS_RATE = "2/min"
    settings.API_TOKEN_RATE = "4/min"
    secret = token_for(make_user(), scope="read")
    assert [client.get(CASES).status_code for _ in range(3)] == [200, 200, 429]
    assert [client.get(CASES, **bearer(secret)).status_code for _ in range(5)] == [200, 200, 200, 200, 429]


def test_production_needs_a_shared_cache_for_the_limits():
    refused = start_production(CELERY_BROKER_URL="amqp://hub:secret@mq.internal:5672//", CACHE_URL=None)
    assert refused.returncode != 0 and "CACHE_URL must name a shared cache" in refused.stderr
    started = start_production(CELERY_BROKER_URL="amqp://hub:secret@mq.internal:5672//", CACHE_URL="redis://cache.internal:6379/1")
    assert started.returncode == 0, started.stderr


# Schema and docs --------------------------------------------------------------------------------------------------


def test_schema_documents_versions_tokens_and_limits(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"]["version"] == "1" and "/api/v2/" in schema["info"]["description"]
    assert schema["components"]["securitySchemes"]["ApiTokenAuth"]["scheme"] == "bearer"
    paths = schema["paths"]
    assert paths["/api/v1/cases/"]["get"]["security"] == [{}, {"ApiTokenAuth": []}]
    assert paths["/api/v1/cases/"]["post"]["security"] == [{"ApiTokenAuth": []}]
    assert paths["/api/v1/cases/{key}/logs/"]["post"]["security"] == [{"ApiTokenAuth": []}]
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert {"401", "429"} <= set(operation["responses"]), (method, path)
    assert {"201", "400", "403"} <= set(paths["/api/v1/cases/"]["post"]["responses"])


def test_docs_page_loads_only_files_this_hub_serves(client):
    page = client.get("/api/v1/docs").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any(source.endswith("swagger-ui-bundle.js") for source in sources), sources
    for source in sources:
        assert source.startswith("/static/"), source
        assert finders.find(source.removeprefix("/static/")), source
    assert '"validatorUrl": null' in page
