"""Digests end to end: publish → real Redis broker → real Celery worker → search index → matching → real SMTP server,
and a worker killed in the middle of a run (a real process, SIGKILL) whose run is started again."""

import datetime
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.db import OperationalError, connection, transaction
from django.test import Client
from kombu import Connection

from cases.models import CaseStudyPage, Technology
from communities.services import post_create
from hub.matching import Reason
from hub.models import Digest, DigestRun, MemberInterests
from hub.tasks import digest_run_task
from search.indexing import outbox_record
from tests.factories import add_member, make_case, make_community, make_user
from tests.hub.digest_helpers import MailServer, digest_member, next_run_after, now_in_seoul, published_at, seoul, unsubscribe_path
from tests.search_helpers import index_now

BASE_DIR = Path(__file__).resolve().parents[2]
PRIVATE_REDIS_DB = 13  # a Redis database of these tests' own: workers of other runs sharing the server never see them


@pytest.fixture
def redis_url(redis_url):
    """The conftest's Redis, on a database of its own (the `redis_worker` fixture uses this one too)."""
    url = redis_url.rsplit("/", 1)[0] + f"/{PRIVATE_REDIS_DB}"
    yield url
    redis.Redis.from_url(url).flushdb()  # the killed worker's unacknowledged task would come back in an hour


def wait_for(predicate, timeout: float = 60.0, what="") -> None:
    """Poll until `predicate()`; `what` (a text, or a callable giving one, such as a worker's log) explains a timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what() if callable(what) else what or predicate}")


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def gyeonggi_air_quality_case(title: str):
    return make_case(
        place_code="41110", title=title, sector="environment", technologies=("iot",), summary="IoT 센서로 대기질을 측정합니다."
    )


def published_at_moment(case, moment: datetime.datetime) -> None:
    """Give `case` this published_at (what the index and the matching read)."""
    with transaction.atomic():
        CaseStudyPage.objects.filter(pk=case.pk).update(last_published_at=moment)
        outbox_record([f"case:{case.pk}"])


def quietly(predicate):
    """A predicate polled while the worker writes: SQLite's shared in-memory test database answers "table is locked"
    instead of waiting, which only means "not yet"."""

    def poll():
        try:
            return predicate()
        except OperationalError:
            return False

    return poll


# Through the in-process worker -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_jeju_member_gets_the_gyeonggi_iot_case_with_its_reason_and_can_unsubscribe_in_one_click(
    request, smtp_server, settings, search_elasticsearch
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    settings.HUB_BASE_URL = "https://hub.example.go.kr"
    first_run = next_run_after(now_in_seoul())
    jeju = digest_member(place_code="50000", email="kim@jeju.example")  # 제주특별자치도 (no 시군구 of its own)
    # Same interests, in Seoul and a member of the closed community: what the Jeju member misses, they get.
    seoul_member = digest_member(place_code="11110", email="park@jongno.example")
    gyeonggi_author = make_user(role="official", place_code="41110")
    community = make_community(post_visibility="community", title="대기질 IoT 실무")
    community.technologies.set(Technology.objects.filter(slug="iot"))
    community.save_revision().publish()
    add_member(community, gyeonggi_author)
    add_member(community, seoul_member.user)

    peer = gyeonggi_air_quality_case("경기 IoT 대기질 측정망")
    own = make_case(place_code="50000", title="제주 IoT 대기질 알림", sector="environment", technologies=("iot",))
    draft = make_case(place_code="41110", title="경기 IoT 대기 센서 초안", sector="environment", technologies=("iot",), publish=False)
    post = post_create(
        community=community, author=gyeonggi_author, title="IoT 대기질 센서 교정 방법 공유", body="센서 교정 주기를 공유합니다."
    )
    newer = gyeonggi_air_quality_case("경기 IoT 미세먼지 지도")
    published_at_moment(newer, first_run + datetime.timedelta(hours=2))  # in the next day's period
    index_now()
    # The worker starts once the content is written: the shared in-memory SQLite test database does not wait for locks.
    request.getfixturevalue("redis_worker")

    digest_run_task.delay("daily", first_run.isoformat())
    wait_for(lambda: len(smtp_server.messages) == 2, what="two digests")
    wait_for(quietly(lambda: DigestRun.objects.filter(finished_at__isnull=False).count() == 1), what="the run to finish")
    [to_jeju] = [m for m in smtp_server.messages if m["To"] == "kim@jeju.example"]
    [to_seoul] = [m for m in smtp_server.messages if m["To"] == "park@jongno.example"]

    body = text_of(to_jeju)
    assert peer.title in body and "수원시" in body
    assert Reason(code="technology", value="iot", label="IoT").text in body
    assert f"https://hub.example.go.kr{peer.url}" in body
    html = to_jeju.get_body(("html",)).get_content()
    for absent in (draft.title, post.title, newer.title):
        assert absent not in body and absent not in html
    # Their own government's case is no entry (it may be named as the reason a peer case resembles theirs).
    assert f"https://hub.example.go.kr{own.url}" not in body + html
    assert Reason(code="similar", value=str(own.pk), label=own.title).text in body
    # The control: the same interests in Seoul, inside the community, see the 제주 case and the post (never the draft).
    seoul_body = text_of(to_seoul)
    assert peer.title in seoul_body and own.title in seoul_body and post.title in seoul_body and draft.title not in seoul_body

    # One click in the mail client: a POST to the header's URL, no cookie, no CSRF token.
    assert to_jeju["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    response = Client(enforce_csrf_checks=True).post(unsubscribe_path(to_jeju), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert MemberInterests.objects.get(member=jeju).digest_frequency == "off"

    digest_run_task.delay("daily", (first_run + datetime.timedelta(days=1)).isoformat())
    wait_for(lambda: len(smtp_server.messages) == 3, what="the next day's digest")
    wait_for(quietly(lambda: DigestRun.objects.filter(finished_at__isnull=False).count() == 2), what="the second run to finish")
    assert smtp_server.messages[2]["To"] == "park@jongno.example" and newer.title in text_of(smtp_server.messages[2])
    assert [m["To"] for m in smtp_server.messages].count("kim@jeju.example") == 1
    assert not Digest.objects.filter(member=jeju, period_end=first_run + datetime.timedelta(days=1)).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_through_the_worker_the_seven_oclock_edge_splits_two_days_and_three_weeks_never_repeat(
    request, smtp_server, settings, search_sqlite
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    digest_member(place_code="50000", email="daily@jeju.example")
    digest_member(place_code="26110", frequency="weekly", email="weekly@junggu.example")
    before = published_at(gyeonggi_air_quality_case("IoT 대기질 측정망 (06:59:59)"), seoul("2026-12-02 06:59:59"))
    at_seven = published_at(gyeonggi_air_quality_case("IoT 미세먼지 센서 (07:00:00)"), seoul("2026-12-02 07:00:00"))
    mondays = [seoul(f"2026-11-{day} 07:00") for day in ("09", "16", "23", "30")]
    weeks = [
        [
            published_at(gyeonggi_air_quality_case(f"IoT 대기 센서 {n}주차 {i}"), monday + datetime.timedelta(days=2, hours=i))
            for i in range(2)
        ]
        for n, monday in enumerate(mondays[:3], start=1)
    ]
    request.getfixturevalue("redis_worker")  # after the content: the shared in-memory SQLite database does not wait

    def run(frequency: str, now: datetime.datetime, runs: int):
        digest_run_task.delay(frequency, now.isoformat())
        wait_for(quietly(lambda: DigestRun.objects.filter(finished_at__isnull=False).count() == runs), what=f"run {runs}")

    run("daily", seoul("2026-12-02 07:00"), 1)
    run("daily", seoul("2026-12-03 07:00"), 2)
    to_daily = [text_of(m) for m in smtp_server.messages if m["To"] == "daily@jeju.example"]
    assert len(to_daily) == 2
    assert before.title in to_daily[0] and at_seven.title not in to_daily[0]
    assert at_seven.title in to_daily[1] and before.title not in to_daily[1]

    for number, monday in enumerate(mondays[1:], start=1):
        run("weekly", monday + datetime.timedelta(minutes=1), 2 + number)
        if number == 1:  # a first-week case edited in the second week is new to the index, never to the member
            published_at(weeks[0][0], mondays[1] + datetime.timedelta(hours=1))
    to_weekly = [text_of(m) for m in smtp_server.messages if m["To"] == "weekly@junggu.example"]
    assert len(to_weekly) == 3
    for number, body in enumerate(to_weekly):
        assert all(case.title in body for case in weeks[number])
        assert not any(case.title in body for earlier in weeks[:number] for case in earlier)
    assert [m["To"] for m in smtp_server.messages].count("daily@jeju.example") == 2  # weekly runs send daily members nothing


# A worker process killed in the middle of a run --------------------------------------------------------------------


class WorkerProcess:
    """`celery worker` in a process of its own, on the test's database (or a copy of it), broker, SMTP and index."""

    def __init__(self, folder: Path, *, broker_url: str, queue: str, smtp_port: int, search: dict):
        self.folder, self.queue = folder, queue
        self.sqlite_copy = folder / "hub.sqlite3" if connection.vendor == "sqlite" else None
        if self.sqlite_copy:
            database = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(self.sqlite_copy), "OPTIONS": {"timeout": 20}}
        else:
            database = {key: value for key, value in connection.settings_dict.items() if key != "TEST"}
        self.settings = {
            "DATABASES": {"default": database},
            "CELERY_BROKER_URL": broker_url,
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": smtp_port,
            "EMAIL_TIMEOUT": 120,
            "HUB_BASE_URL": "https://hub.example.go.kr",
            "SEARCH_PRELOAD_ANALYSER": False,
            **search,
        }
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def hand_over_database(self) -> None:
        if self.sqlite_copy:
            connection.ensure_connection()
            with sqlite3.connect(self.sqlite_copy) as copy:
                connection.connection.backup(copy)

    def take_back_database(self) -> None:
        if self.sqlite_copy:
            connection.ensure_connection()
            with sqlite3.connect(self.sqlite_copy) as copy:
                copy.backup(connection.connection)

    def start(self) -> None:
        self.starts += 1
        environment = dict(os.environ, DJANGO_SETTINGS_MODULE="tests.hub.digest_worker_settings", PYTHONUNBUFFERED="1")
        environment["DIGEST_WORKER_SETTINGS"] = json.dumps(self.settings)
        self.log = self.folder / f"worker-{self.starts}.log"
        with self.log.open("w") as output:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "hub",
                    "worker",
                    "--pool=solo",
                    "-Q",
                    self.queue,
                    "-n",
                    f"{self.queue}-{self.starts}@%h",
                ]
                + ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"],
                cwd=BASE_DIR,
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        """A crash: SIGKILL, no warm shutdown, no chance to mark anything."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """A warm shutdown: the current task finishes first."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_mid_run_and_started_again_sends_every_member_exactly_one_digest(redis_url, search_sqlite, settings, tmp_path):
    members = [digest_member(place_code="50000", email=f"member{n}@jeju.example") for n in range(5)]
    case = gyeonggi_air_quality_case("경기 IoT 대기질 측정망")
    index_now()
    run_at = next_run_after(now_in_seoul())
    queue = f"digests-{uuid.uuid4().hex[:8]}"

    with MailServer(stall_at=3) as server:  # accepts two digests, then never answers the third one's DATA
        search = {
            "SEARCH_BACKEND": "sqlite",
            "SEARCH_SQLITE_DIR": str(settings.SEARCH_SQLITE_DIR),
            "SEARCH_INDEX_PREFIX": settings.SEARCH_INDEX_PREFIX,
        }
        worker = WorkerProcess(tmp_path, broker_url=redis_url, queue=queue, smtp_port=server.port, search=search)
        worker.hand_over_database()
        try:
            with Connection(redis_url) as broker:
                worker.start()
                digest_run_task.apply_async(args=("daily", run_at.isoformat()), queue=queue, connection=broker)
                wait_for(server.stalled.is_set, timeout=120, what=lambda: f"the third digest to reach the server:\n{worker.output()}")
                assert len(server.messages) == 2
                worker.kill()  # while the third digest is on the wire: built, claimed, not accepted
                server.release()

                worker.start()
                digest_run_task.apply_async(args=("daily", run_at.isoformat()), queue=queue, connection=broker)
                wait_for(lambda: len(server.messages) == 5, timeout=120, what=lambda: f"the other digests:\n{worker.output()}")
                worker.stop()
        finally:
            worker.stop()
        worker.take_back_database()

    recipients = sorted(str(message["To"]) for message in server.messages)
    assert recipients == sorted(member.user.email for member in members)  # each exactly once
    assert all(case.title in text_of(message) for message in server.messages)
    start = run_at - datetime.timedelta(days=1)
    for member in members:
        [digest] = Digest.objects.filter(member=member, frequency="daily", period_start=start)
        assert digest.status == Digest.Status.SENT
    crashed, resumed = DigestRun.objects.order_by("pk")
    assert crashed.finished_at is None  # the killed run never finished
    assert resumed.finished_at is not None and resumed.sent == 3
    assert Digest.objects.filter(run=crashed).count() == 5  # the first run had built them all before it was killed
