"""Harvesting between two running hubs: a peer Gachi Hub served by a real `runserver` on loopback (its own SQLite
file, seeded with `import_cases`) is harvested into the test database through its public /api/v1/cases/.

One peer for the whole module. Tests that change the peer record it in `PeerHub.records`, and every test computes
what it expects from there, so the tests hold in any order.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from cases.harvesting import HarvestError, PeerUnavailable, harvest_peer, hub_base_url_normalise, remote_case_key
from cases.models import CaseStudyPage, Technology
from cases.tasks import harvest_peer_task, harvest_peers_task
from hub.celery import app
from tests.conftest import free_port
from tests.factories import make_case, make_user

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parents[2]
SERVER_START_TIMEOUT = 60
# Variables of the outer test run the peer must not inherit: it is a hub of its own.
OUTER_VARIABLES = ("DATABASE_URL", "EMAIL_URL", "CELERY_BROKER_URL", "ELASTICSEARCH_URL", "DJANGO_SETTINGS_MODULE", "HUB_ENV")


def record(key: str, **overrides) -> dict:
    base = {
        "key": key,
        "title": f"{key} 사업",
        "language": "ko",
        "country": "KR",
        "region": "서울특별시",
        "municipality": "종로구",
        "sector": "도시·교통",
        "technologies": ["AI"],
        "stage": "실증",
        "start_year": 2023,
        "summary": "교차로 신호를 AI로 제어합니다.",
    }
    return {**base, **overrides}


SEED = [
    record(
        "seoul-ai-crossing",
        title="종로구 AI 스마트 횡단보도",
        technologies=["AI", "IoT"],
        tags=["횡단보도", "보행안전"],
        problem="야간 보행자 사고가 잦았습니다.",
        solution="- 객체 인식 카메라\n- 바닥 신호등",
        outcomes="- 사고 **32% 감소**",
        lessons="통신 장애 대비가 필요했습니다.",
        lessons_visibility="public",
        participating=["경기도 성남시"],
        budget_total=500_000_000,
        budget_national=200_000_000,
        budget_local=300_000_000,
        procurement_method="협상에 의한 계약",
        vendors="(주)스마트로",
        indicators=[{"label": "보행자 사고", "value": "-32", "unit": "%"}],
        assets=[{"kind": "tender", "title": "제안요청서", "url": "https://example.go.kr/rfp.pdf"}],
        contact_name="스마트도시과",
        contact_email="smart@jongno.go.kr",
        end_year=2025,
    ),
    record(
        "jeju-iot-air", title="제주 사물인터넷 대기질 측정망", region="제주특별자치도", municipality="", sector="환경", technologies=["IoT"]
    ),
    record("helsinki-open-data", title="Helsinki open data platform", language="en", country="FI", region="", municipality="Helsinki"),
    record(
        "gangwon-drone-patrol",
        title="강릉 드론 산불 감시",
        region="강원특별자치도",
        municipality="강릉시",
        sector="안전",
        technologies=["드론"],
    ),
    record(
        "ulsan-smart-farm",
        title="울산 스마트팜 실증",
        region="울산광역시",
        municipality="울주군",
        sector="농·축·수산",
        technologies=["IoT"],
    ),
    record("busan-members-only", title="부산 내부 검토 사례", region="부산광역시", municipality="해운대구", visibility="members"),
]


class PeerHub:
    """A second Gachi Hub in a subprocess: migrated, seeded through `import_cases`, served by `runserver`."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.records: dict[str, dict] = {}
        self.database = folder / "peer.sqlite3"
        environment = {key: value for key, value in os.environ.items() if key not in OUTER_VARIABLES}
        environment.update(
            DJANGO_SETTINGS_MODULE="hub.settings.dev",
            DEBUG="false",
            HUB_ENV="peer",
            DATABASE_URL=f"sqlite:///{self.database}",
            MEDIA_ROOT=str(folder / "media"),
            STATIC_ROOT=str(folder / "static"),
            CELERY_BROKER_FOLDER=str(folder / "broker"),  # queued indexing waits there; the peer's search is not under test
            CELERY_TASK_ALWAYS_EAGER="false",
            EMAIL_FILE_PATH=str(folder / "mail"),
            SEARCH_BACKEND="sqlite",
            SEARCH_SQLITE_DIR=str(folder / "search"),
            SEARCH_PRELOAD_ANALYSER="false",
            HUB_BASE_URL=self.url,
            API_ANONYMOUS_RATE="100000/min",  # every test harvests from the same address
            PYTHONUNBUFFERED="1",
        )
        self.environment = environment
        self.server: subprocess.Popen | None = None

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=self.environment, capture_output=True, text=True, timeout=300
        )
        if result.returncode != 0:
            pytest.fail(f"peer: manage.py {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}", pytrace=False)
        return result.stdout

    def import_cases(self, records: list[dict]) -> None:
        path = self.folder / f"import-{time.monotonic_ns()}.json"
        path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
        self.manage("import_cases", str(path))
        self.records.update({r["key"]: r for r in records})

    @property
    def public_keys(self) -> set[str]:
        return {key for key, r in self.records.items() if r.get("visibility", "public") == "public"}

    def start(self) -> None:
        log = self.folder / "server.log"
        with log.open("w") as output:
            self.server = subprocess.Popen(
                [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{self.port}"],
                cwd=BASE_DIR,
                env=self.environment,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline, problem = time.monotonic() + SERVER_START_TIMEOUT, "no answer"
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                pytest.fail(f"peer runserver exited with {self.server.returncode}:\n{log.read_text()}", pytrace=False)
            try:
                with urllib.request.urlopen(f"{self.url}/api/v1/cases/", timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError) as error:
                problem = str(error)
            time.sleep(0.2)
        pytest.fail(f"peer did not answer within {SERVER_START_TIMEOUT} s ({problem}):\n{log.read_text()}", pytrace=False)

    def stop(self) -> None:
        if self.server and self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGTERM)
            try:
                self.server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)
                self.server.wait()


def _copy_of_this_database(target: Path) -> bool:
    """Give the peer a copy of this run's database when it is SQLite: migrated, with places, vocabularies, page tree
    and groups, and (non-transactional tests having rolled back) no content. Seconds instead of a `migrate`."""
    if connection.vendor != "sqlite":
        return False
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
        pristine = copy.execute("SELECT (SELECT count(*) FROM cases_casestudypage) = 0 AND (SELECT count(*) FROM cases_caseindexpage) = 1")
        if pristine.fetchone()[0]:
            return True
    finally:
        copy.close()
    target.unlink()
    return False


@pytest.fixture(scope="module")
def peer(django_db_setup, django_db_blocker):
    with tempfile.TemporaryDirectory(prefix="gachi-peer-") as name:
        hub = PeerHub(Path(name))
        with django_db_blocker.unblock():
            copied = _copy_of_this_database(hub.database)
        if not copied:
            hub.manage("migrate", "--noinput")
            hub.manage("shell", "-c", "from hub.services import site_structure_ensure; site_structure_ensure()")
        hub.import_cases(SEED)
        hub.start()
        try:
            yield hub
        finally:
            hub.stop()


def remote(peer: PeerHub, peer_key: str) -> CaseStudyPage:
    return CaseStudyPage.objects.get(origin_hub=peer.url, origin_key=peer_key)


# Two hubs ------------------------------------------------------------------------------------------------------------


def test_harvest_twice_with_an_update_in_between(peer):
    started = timezone.now()
    first = harvest_peer(base_url=peer.url)
    assert first.ok and not first.skipped, (first.errors, first.skipped)
    assert set(first.created) == peer.public_keys and not first.updated and not first.unchanged
    assert "busan-members-only" not in first.created  # the peer shows it to its members only
    assert CaseStudyPage.objects.filter(origin_hub=peer.url).count() == len(peer.public_keys)

    crossing = remote(peer, "seoul-ai-crossing")
    assert crossing.live and crossing.is_remote
    assert crossing.key == remote_case_key(peer.url, "seoul-ai-crossing") and crossing.key.startswith("remote-")
    assert crossing.origin_url == f"{peer.url}/cases/seoul-ai-crossing/"
    assert started <= crossing.harvested_at <= timezone.now()
    assert crossing.title == "종로구 AI 스마트 횡단보도" and crossing.lead_place.code == "11110"
    assert [p.code for p in crossing.participating_places.all()] == ["41130"]  # 경기도 성남시
    assert sorted(t.slug for t in crossing.technologies.all()) == ["ai", "iot"]
    assert sorted(crossing.tags.names()) == ["보행안전", "횡단보도"]
    assert (crossing.budget_total, crossing.budget_national, crossing.procurement_method) == (500_000_000, 200_000_000, "협상에 의한 계약")
    assert [(i.label, i.value, i.unit) for i in crossing.indicators.all()] == [("보행자 사고", "-32", "%")]
    assert [(a.kind, a.url) for a in crossing.assets.all()] == [("tender", "https://example.go.kr/rfp.pdf")]
    assert crossing.lessons == "통신 장애 대비가 필요했습니다."
    helsinki = remote(peer, "helsinki-open-data")
    assert helsinki.lead_place.code == "FI:Helsinki" and helsinki.lead_place.country == "FI"
    revisions = {case.origin_key: case.revisions.count() for case in CaseStudyPage.objects.filter(origin_hub=peer.url)}

    # On the peer: one case edited, one added, one kept for members from now on.
    peer.import_cases(
        [
            {**peer.records["seoul-ai-crossing"], "title": "종로구 AI 스마트 횡단보도 2단계", "stage": "운영"},
            record("incheon-bus-info", title="인천 버스 도착 정보 고도화", region="인천광역시", municipality="연수구"),
            {**peer.records["ulsan-smart-farm"], "visibility": "members"},
        ]
    )
    second = harvest_peer(base_url=peer.url)
    assert second.ok and not second.skipped, (second.errors, second.skipped)
    assert second.updated == ["seoul-ai-crossing"]
    assert second.created == ["incheon-bus-info"]
    assert second.withdrawn == ["ulsan-smart-farm"]
    assert set(second.unchanged) == peer.public_keys - {"seoul-ai-crossing", "incheon-bus-info"}

    for key in peer.public_keys | {"ulsan-smart-farm"}:
        assert CaseStudyPage.objects.filter(origin_hub=peer.url, origin_key=key).count() == 1  # never a duplicate
    crossing = remote(peer, "seoul-ai-crossing")
    assert crossing.title == "종로구 AI 스마트 횡단보도 2단계" and crossing.stage.slug == "operation"
    assert crossing.revisions.count() == revisions["seoul-ai-crossing"] + 1 and not crossing.has_unpublished_changes
    assert not remote(peer, "ulsan-smart-farm").live
    for key in peer.public_keys - {"seoul-ai-crossing", "incheon-bus-info"}:
        assert remote(peer, key).revisions.count() == revisions[key], f"{key} was rewritten though it did not change"


def test_a_local_case_with_the_same_key_stays_untouched(peer):
    local = make_case(key="jeju-iot-air", title="우리 허브의 제주 사례", place_code="50000", sector="environment")
    revisions = local.revisions.count()
    report = harvest_peer(base_url=peer.url)
    assert "jeju-iot-air" in report.created
    local.refresh_from_db()
    assert (local.title, local.origin_hub, local.revisions.count(), local.live) == ("우리 허브의 제주 사례", "", revisions, True)
    harvested = remote(peer, "jeju-iot-air")
    assert harvested.pk != local.pk and harvested.title == "제주 사물인터넷 대기질 측정망"
    assert CaseStudyPage.objects.filter(key="jeju-iot-air").count() == 1


def test_since_skips_cases_last_published_before_it(peer):
    since = timezone.now()
    peer.import_cases([record("daejeon-since", title="대전 스마트 가로등", region="대전광역시", municipality="유성구")])
    report = harvest_peer(base_url=peer.url, since=since)
    assert report.created == ["daejeon-since"] and not report.updated
    assert set(report.older) == peer.public_keys - {"daejeon-since"}
    assert list(CaseStudyPage.objects.filter(origin_hub=peer.url).values_list("origin_key", flat=True)) == ["daejeon-since"]


def test_a_case_with_a_term_this_hub_lacks_is_skipped_with_the_reason(peer):
    Technology.objects.filter(slug="drones").update(slug="uav", name="무인기", name_en="UAV")
    report = harvest_peer(base_url=peer.url)
    assert [key for key, _ in report.skipped] == ["gangwon-drone-patrol"]
    assert "technologies: unknown value 'drones'" in report.skipped[0][1]
    assert set(report.created) == peer.public_keys - {"gangwon-drone-patrol"}  # the others went on
    assert not CaseStudyPage.objects.filter(origin_key="gangwon-drone-patrol").exists()


def test_dry_run_writes_nothing(peer):
    report = harvest_peer(base_url=peer.url, dry_run=True)
    assert set(report.created) == peer.public_keys
    assert not CaseStudyPage.objects.filter(origin_hub=peer.url).exists()


# The command ---------------------------------------------------------------------------------------------------------


def test_command_prints_a_summary_and_harvests_from_a_pasted_api_address(peer, capsys):
    call_command("harvest", f"{peer.url}/api/v1/cases/")
    out = capsys.readouterr().out
    assert f"{peer.url}: created {len(peer.public_keys)}, updated 0, unchanged 0" in out
    assert "seoul-ai-crossing: created" in out
    assert CaseStudyPage.objects.filter(origin_hub=peer.url).count() == len(peer.public_keys)
    call_command("harvest", peer.url, "--since", "2999-01-01")
    assert f"unchanged 0, skipped 0, withdrawn 0, older than --since {len(peer.public_keys)}" in capsys.readouterr().out


def test_command_fails_naming_the_url_when_the_peer_is_unreachable():
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with pytest.raises(CommandError, match=rf"{url}/api/v1/cases/\?page_size=100: cannot reach the hub"):
        call_command("harvest", url)


def test_command_refuses_a_bad_since():
    with pytest.raises(CommandError, match="--since: '어제' is not an ISO date"):
        call_command("harvest", "http://127.0.0.1:9", "--since", "어제")


# Answers that are not a hub ------------------------------------------------------------------------------------------


class FakePeer:
    """A real HTTP server on loopback that is not a hub: it answers every GET with what `answer` set (the queued
    answers first, then the last one again and again) and counts the requests."""

    def __init__(self):
        self.answers: list[tuple[int, dict, bytes]] = [(200, {"Content-Type": "application/json"}, b"{}")]
        self.requests = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                fake.requests += 1
                status, headers, body = fake.answers.pop(0) if len(fake.answers) > 1 else fake.answers[0]
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, *bodies, status: int = 200, content_type: str = "application/json", headers: dict | None = None) -> None:
        """Answer with these bodies, one per request, the last one for good; `answer_next` queues more."""
        self.answers = []
        self.answer_next(*bodies, status=status, content_type=content_type, headers=headers)

    def answer_next(self, *bodies, status: int = 200, content_type: str = "application/json", headers: dict | None = None) -> None:
        for body in bodies:
            self.answers.append(
                (status, {"Content-Type": content_type, **(headers or {})}, body.encode() if isinstance(body, str) else body)
            )


@pytest.fixture
def fake_peer():
    fake = FakePeer()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def test_an_unreachable_peer_is_a_clear_error():
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(PeerUnavailable, match=rf"^{url}/api/v1/cases/\?page_size=100: cannot reach the hub \(.*refused"):
        harvest_peer(base_url=url)


def test_an_answer_that_is_not_json_is_a_clear_error(fake_peer):
    fake_peer.answer("<!doctype html><title>홈</title>", content_type="text/html; charset=utf-8")
    with pytest.raises(
        HarvestError, match=rf"^{fake_peer.url}/api/v1/cases/\?page_size=100: the answer is not JSON \(Content-Type text/html"
    ):
        harvest_peer(base_url=fake_peer.url)


def test_json_that_is_not_the_cases_api_is_a_clear_error(fake_peer):
    fake_peer.answer(json.dumps({"items": []}))
    with pytest.raises(HarvestError, match="not the cases API: the answer has no 'results'"):
        harvest_peer(base_url=fake_peer.url)
    fake_peer.answer(json.dumps({"count": 1, "next": None, "results": [{"key": "x", "url": "http://x/", "last_published_at": "어제"}]}))
    with pytest.raises(HarvestError, match=r"'results\[0\]' is not an ISO date-time"):
        harvest_peer(base_url=fake_peer.url)


def test_the_rate_limit_of_the_peer_is_waited_out(fake_peer):
    fake_peer.answer('{"detail": "rate limited"}', status=429, headers={"Retry-After": "0"})
    fake_peer.answer_next(json.dumps({"count": 0, "next": None, "previous": None, "results": []}))
    report = harvest_peer(base_url=fake_peer.url)
    assert report.ok and not report.created and fake_peer.requests == 2
    fake_peer.answer('{"detail": "rate limited"}', status=429, headers={"Retry-After": "0"})
    with pytest.raises(PeerUnavailable, match="HTTP 429: still rate-limited after 4 attempts"):
        harvest_peer(base_url=fake_peer.url)


def peer_detail_served_by(fake_peer, detail: dict) -> None:
    """`fake_peer` lists one case (a summary is a subset of the detail) and then answers its detail."""
    fake_peer.answer(json.dumps({"count": 1, "next": None, "previous": None, "results": [detail]}), json.dumps(detail))


def peer_detail(peer, key: str) -> dict:
    with urllib.request.urlopen(f"{peer.url}/api/v1/cases/{key}/", timeout=10) as response:
        return json.loads(response.read())


def test_personal_data_in_a_peer_case_is_skipped_with_the_reason(peer, fake_peer):
    detail = peer_detail(peer, "jeju-iot-air")
    peer_detail_served_by(fake_peer, {**detail, "summary": detail["summary"] + " 문의는 담당자 휴대전화 010-2345-6789로."})
    report = harvest_peer(base_url=fake_peer.url)
    assert report.ok and not report.created
    [(key, reason)] = report.skipped
    assert key == "jeju-iot-air" and reason.startswith("personal data would be published:") and "010-****-6789" in reason
    peer_detail_served_by(fake_peer, detail)  # the same case without the number comes over
    assert harvest_peer(base_url=fake_peer.url).created == ["jeju-iot-air"]


def test_a_detail_that_is_not_the_cases_api_fails_the_command_naming_its_url(peer, fake_peer, capsys):
    detail = peer_detail(peer, "jeju-iot-air")
    del detail["sector"]
    peer_detail_served_by(fake_peer, detail)
    with pytest.raises(CommandError, match=r"errors 1; 1 case\(s\) could not be fetched or read"):
        call_command("harvest", fake_peer.url)
    assert f"{fake_peer.url}/api/v1/cases/jeju-iot-air/: not the cases API: the answer has no 'sector'" in capsys.readouterr().err
    assert not CaseStudyPage.objects.filter(origin_hub=fake_peer.url).exists()


def test_a_next_link_to_another_host_is_refused(fake_peer):
    fake_peer.answer(json.dumps({"count": 200, "next": "http://198.51.100.7/api/v1/cases/?page=2", "results": []}))
    with pytest.raises(HarvestError, match="the next page http://198.51.100.7/api/v1/cases/\\?page=2 is on another host"):
        harvest_peer(base_url=fake_peer.url)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://hub.example.kr", "https://user:secret@hub.example.kr", "hub.example.kr"])
def test_only_plain_http_urls_are_harvested(url):
    with pytest.raises(HarvestError):
        harvest_peer(base_url=url)


def test_base_urls_are_normalised():
    assert hub_base_url_normalise("HTTPS://Hub.Example.KR:443/api/v1/cases/") == "https://hub.example.kr"
    assert hub_base_url_normalise("http://127.0.0.1:8001/") == "http://127.0.0.1:8001"
    assert hub_base_url_normalise("https://example.kr/gachi/") == "https://example.kr/gachi"


def test_remote_keys_are_stable_slugs_that_keep_peer_keys_apart():
    hub = "https://hub.example.kr"
    assert remote_case_key(hub, "seoul-ai") == remote_case_key(hub, "seoul-ai")
    assert remote_case_key(hub, "seoul-ai") != remote_case_key("https://other.example.kr", "seoul-ai")
    assert remote_case_key(hub, "Seoul-AI") != remote_case_key(hub, "seoul-ai")
    long_a, long_b = "a" * 119 + "1", "a" * 119 + "2"
    keys = {remote_case_key(hub, long_a), remote_case_key(hub, long_b)}
    assert len(keys) == 2 and all(len(key) <= 120 for key in keys)
    assert all(key == key.lower() and key.replace("-", "").isalnum() for key in keys)


# Pages and permissions -----------------------------------------------------------------------------------------------


def test_a_remote_case_page_names_its_hub_and_links_the_original(peer, client):
    harvest_peer(base_url=peer.url)
    case = remote(peer, "jeju-iot-air")
    page = client.get(case.url).content.decode()
    assert "허브에서 수집한 사례" in page and f'href="{case.origin_url}"' in page and "원문 보기" in page
    local = make_case(key="local-one", title="우리 허브 사례")
    assert "허브에서 수집한 사례" not in client.get(local.url).content.decode()


def test_officials_cannot_edit_a_remote_case_curators_can(peer, client):
    harvest_peer(base_url=peer.url)
    case = remote(peer, "seoul-ai-crossing")  # led by 서울특별시 종로구
    official = make_user(role="official", place_code="11110")
    own_local = make_case(key="jongno-local", place_code="11110")
    client.force_login(official)
    assert client.get(f"/admin/pages/{own_local.pk}/edit/").status_code == 200  # their own municipality's local case
    assert client.get(f"/admin/pages/{case.pk}/edit/").status_code == 403
    assert "사례 수정" not in client.get(case.url).content.decode()
    client.force_login(make_user(role="curator"))
    assert client.get(f"/admin/pages/{case.pk}/edit/").status_code == 200


# Scheduled harvest ---------------------------------------------------------------------------------------------------


@pytest.fixture
def eager_tasks():
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = previous


def test_scheduled_harvest_goes_on_past_a_failing_peer_and_retries_it(peer, fake_peer, settings, eager_tasks):
    fake_peer.answer("busy", status=503, content_type="text/plain")
    settings.HUB_HARVEST_PEERS = [fake_peer.url, peer.url]
    assert harvest_peers_task() == 2
    assert fake_peer.requests == harvest_peer_task.max_retries + 1  # retried (eagerly: no waiting), then given up
    assert set(CaseStudyPage.objects.filter(origin_hub=peer.url).values_list("origin_key", flat=True)) == peer.public_keys


def test_the_beat_schedule_harvests_every_night_at_three_seoul_time():
    from hub.schedule import BEAT_SCHEDULE

    entry = BEAT_SCHEDULE["cases-harvest-peers"]
    assert entry["task"] == harvest_peers_task.name
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({3}, {0}) and app.conf.timezone == "Asia/Seoul"
