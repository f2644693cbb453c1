import contextlib
import email
import email.policy
import logging
import os
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connections

from hub.celery import app
from hub.services import site_structure_ensure


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Migrations load places and vocabularies; the page tree and role groups are built once per session."""
    with django_db_blocker.unblock():
        site_structure_ensure()
        # Transactional tests flush every table; `serialized_rollback=True` restores this state (places, vocabularies,
        # page tree, groups) before each of them. pytest-django runs them after the others.
        for alias in connections:
            connections[alias]._test_serialized_contents = connections[alias].creation.serialize_db_to_string()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in Korean: a request with an English cookie leaves English active in the test's thread."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fail_on_wagtail_task_errors(caplog):
    """Wagtail's immediate task backend only logs indexing errors; make them fail the test that caused them."""
    yield
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith(("django_tasks", "wagtail"))]
    assert not errors, [r.getMessage() for r in errors]


@pytest.fixture(scope="session")
def redis_url():
    """`make test` starts Redis and exports TEST_REDIS_URL; a bare `pytest` starts one here and stops it after the session."""
    if url := os.environ.get("TEST_REDIS_URL"):
        yield url
        return
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        server = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", folder],
            stdout=subprocess.DEVNULL,
        )
        try:
            wait_for_port(port)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            server.terminate()
            server.wait(timeout=10)


@pytest.fixture(scope="session")
def elasticsearch_url():
    """`make test` starts a node and exports TEST_ELASTICSEARCH_URL; a bare `pytest` starts one with the same script
    (scripts/elasticsearch.sh: Elasticsearch 8.x from Maven Central, cached) and stops it after the session."""
    if url := os.environ.get("TEST_ELASTICSEARCH_URL"):
        yield url
        return
    script = Path(__file__).resolve().parent.parent / "scripts" / "elasticsearch.sh"
    with tempfile.TemporaryDirectory(prefix="gachi-elasticsearch.") as folder:
        try:
            started = subprocess.run([script, "start", folder], stdout=subprocess.PIPE, text=True, check=True)
            yield started.stdout.strip()
        finally:
            subprocess.run([script, "stop", folder], check=False)


@pytest.fixture
def redis_worker(redis_url):
    """A real worker consuming from a real Redis broker, in a thread of this process (so it shares the test database)."""
    previous = app.conf.broker_url
    app.conf.broker_url = redis_url
    _forget_broker_connections()
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.broker_url = previous
        _forget_broker_connections()


def _forget_broker_connections() -> None:
    """Drop the connection pool and the producer pool built on it: a producer made earlier for memory:// would
    otherwise keep publishing there after the broker URL changed, and the worker would never see a task."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free loopback port; `.messages` holds what it received."""
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self):
            self.messages: list[email.message.EmailMessage] = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            return "250 OK"

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


# Search backends ---------------------------------------------------------------------------------------------------


@pytest.fixture
def search_sqlite(settings, tmp_path):
    """The SQLite-FTS5 backend on a fresh, empty index of its own, for one test."""
    settings.SEARCH_BACKEND = "sqlite"
    settings.SEARCH_SQLITE_DIR = tmp_path / "search"
    settings.SEARCH_INDEX_PREFIX = f"test-{uuid.uuid4().hex[:12]}"
    yield from _fresh_backend()


@pytest.fixture
def search_elasticsearch(settings, elasticsearch_url):
    """The Elasticsearch backend on a fresh, empty index of its own (a unique prefix), for one test."""
    settings.SEARCH_BACKEND = "elasticsearch"
    settings.ELASTICSEARCH_URL = elasticsearch_url
    settings.SEARCH_INDEX_PREFIX = f"test-{uuid.uuid4().hex[:12]}"
    yield from _fresh_backend()


@pytest.fixture(params=["sqlite", "elasticsearch"])
def search_backend(request):
    """Each test using this runs once per backend: the contract both must keep."""
    return request.getfixturevalue(f"search_{request.param}")


def _fresh_backend():
    from search.backends import get_backend
    from search.labels import labels_refresh

    labels_refresh()
    backend = get_backend()
    backend.ensure_index()
    try:
        yield backend
    finally:
        backend.drop()
        get_backend.cache_clear()
