"""Browser tests: the real site (`make run`'s way, with the demo content) in a subprocess, driven by Debian's Chromium.

Never touch the Django ORM from these tests: Playwright's sync API keeps an event loop running in this thread, and
the site lives in another process anyway. Everything a test needs to know comes from the site or the demo files.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from playwright.sync_api import Page, sync_playwright

from tests.conftest import free_port

BASE_DIR = Path(__file__).resolve().parents[2]
DEMO_ACTIVITY = BASE_DIR / "cases" / "demo" / "activity.json"
CHROMIUM = "/usr/bin/chromium"
SERVER_START_TIMEOUT = 60
POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql")
# Variables of the outer test run that `make run` would not have; the server gets its own instead.
HUB_VARIABLES = ("DATABASE_URL", "EMAIL_URL", "CELERY_BROKER_URL", "ELASTICSEARCH_URL", "DJANGO_SETTINGS_MODULE", "HUB_ENV")


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.browser)


# The site ---------------------------------------------------------------------------------------------------------


@contextmanager
def _database(folder: Path):
    """A fresh SQLite file, or — when the outer run uses PostgreSQL — a fresh `<name>_browser` database on that server."""
    outer = os.environ.get("DATABASE_URL", "")
    if urlsplit(outer).scheme not in POSTGRES_SCHEMES:
        yield f"sqlite:///{folder / 'hub.sqlite3'}"
        return
    import psycopg
    from psycopg import sql

    parts = urlsplit(outer)
    name = f"{parts.path.lstrip('/') or 'hub'}_browser"
    maintenance = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))

    def run(statement):
        with psycopg.connect(maintenance, autocommit=True) as connection:
            connection.execute(statement)

    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    run(drop)
    run(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(sql.Identifier(name)))
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        run(drop)


def _server_environment(folder: Path, database_url: str, base_url: str) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if key not in HUB_VARIABLES}
    environment.update(
        DJANGO_SETTINGS_MODULE="hub.settings.dev",
        DEBUG="true",
        HUB_ENV="browser",
        DATABASE_URL=database_url,
        MEDIA_ROOT=str(folder / "media"),
        STATIC_ROOT=str(folder / "static"),
        CELERY_BROKER_FOLDER=str(folder / "broker"),
        CELERY_TASK_ALWAYS_EAGER="true",
        HUB_BASE_URL=base_url,
        PYTHONUNBUFFERED="1",
    )
    return environment


def _manage(*args: str, environment: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=environment, capture_output=True, text=True, timeout=300
    )
    if result.returncode != 0:
        pytest.fail(f"manage.py {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}", pytrace=False)


def _wait_until_up(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    problem = "no answer"
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"runserver exited with {server.returncode}:\n{log.read_text()}", pytrace=False)
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
                problem = f"status {response.status}"
        except urllib.error.HTTPError as error:
            problem = f"status {error.code}"
        except OSError as error:
            problem = str(error)
        time.sleep(0.2)
    pytest.fail(f"{url} did not answer 200 within {SERVER_START_TIMEOUT} s ({problem}):\n{log.read_text()}", pytrace=False)


@pytest.fixture(scope="session")
def hub_server():
    """The base URL of the real site: migrated, with the demo content, served by `runserver` on a free port."""
    with tempfile.TemporaryDirectory(prefix="gachi-browser-") as name, _database(Path(name)) as database_url:
        folder = Path(name)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        environment = _server_environment(folder, database_url, base_url)
        _manage("migrate", "--noinput", environment=environment)
        _manage("load_demo", environment=environment)
        log = folder / "server.log"
        with log.open("w") as output:
            server = subprocess.Popen(
                [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
                cwd=BASE_DIR, env=environment, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            )
        try:
            _wait_until_up(f"{base_url}/", server, log)
            yield base_url
        finally:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(server.pid, signal.SIGKILL)
                    server.wait()


# The browser -------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def browser():
    """One Chromium for the browser tests. Package-scoped so that Playwright's event loop is gone before any later
    test touches the ORM (Django refuses synchronous queries while a loop runs in the thread)."""
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"])
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname == "127.0.0.1"


@pytest.fixture
def page(browser, hub_server) -> Page:
    """A fresh context per test (ko-KR, Asia/Seoul) that reaches nothing but the site; uncaught page errors fail the test.

    `page.console_errors`, `page.page_errors` and `page.blocked` hold what happened, for assertions of your own.
    """
    context = browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul", base_url=hub_server)
    context.set_default_timeout(10_000)
    blocked: list[str] = []

    def guard(route):
        if _is_local(route.request.url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("blockedbyclient")

    context.route("**/*", guard)
    page = context.new_page()
    page.console_errors, page.page_errors, page.blocked = [], [], blocked
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(f"{message.text} ({message.location})"))
    page.on("pageerror", lambda error: page.page_errors.append(f"{error.name}: {error.message}\n{error.stack}"))
    yield page
    context.close()
    assert not page.page_errors, "uncaught errors in the page:\n" + "\n".join(page.page_errors)


# Demo accounts -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def demo():
    """The demo activity file that `load_demo` loaded: accounts (with passwords), logs, communities, posts, showcases."""
    return json.loads(DEMO_ACTIVITY.read_text(encoding="utf-8"))


def account(demo: dict, role: str, **where) -> dict:
    """The first approved demo account with this role (and these attribute values)."""
    for candidate in demo["accounts"]:
        if candidate["role"] == role and candidate.get("approved", True) and all(candidate.get(k) == v for k, v in where.items()):
            return candidate
    raise LookupError(f"no approved demo account with role {role!r} and {where}")


def login(page: Page, email: str, password: str) -> None:
    """Sign in through the real login form and check that it worked."""
    page.goto("/accounts/login/")
    form = page.locator("main form")
    form.get_by_label("이메일").fill(email)
    form.get_by_label("비밀번호").fill(password)
    with page.expect_navigation():
        form.get_by_role("button", name="로그인").click()
    assert "/accounts/login/" not in page.url, f"login as {email} failed:\n{page.locator('main').inner_text()}"
    assert page.get_by_role("button", name="로그아웃").is_visible()
