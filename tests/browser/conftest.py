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
DEMO_DIR = BASE_DIR / "cases" / "demo"
CHROMIUM = "/usr/bin/chromium"
SERVER_START_TIMEOUT = 60
POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql")
# Variables of the outer test run that `make run` would not have; the server gets its own instead.
HUB_VARIABLES = (
    "DATABASE_URL",
    "EMAIL_URL",
    "CELERY_BROKER_URL",
    "ELASTICSEARCH_URL",
    "DJANGO_SETTINGS_MODULE",
    "HUB_ENV",
    "SEARCH_BACKEND",
    "SEARCH_INDEX_PREFIX",
)


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
        EMAIL_FILE_PATH=str(folder / "mail"),
        SEARCH_SQLITE_DIR=str(folder / "search"),
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
        _manage("search_reindex", "--no-progress", environment=environment)
        log = folder / "server.log"
        with log.open("w") as output:
            server = subprocess.Popen(
                [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
                cwd=BASE_DIR,
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
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
    assert not page.page_errors, "uncaught errors in the page:\n" + "\n".join(page.page_errors + ["console:", *page.console_errors])


# Demo accounts -----------------------------------------------------------------------------------------------------


class Demo:
    """What `load_demo` loaded (cases/demo/*.json), with the questions the browser tests ask of it."""

    def __init__(self):
        self.cases = json.loads((DEMO_DIR / "cases.json").read_text(encoding="utf-8"))
        self.activity = json.loads((DEMO_DIR / "activity.json").read_text(encoding="utf-8"))
        self.accounts = self.activity["accounts"]
        self.communities = self.activity["communities"]
        self.posts = self.activity["posts"]

    def case(self, key: str) -> dict:
        return next(case for case in self.cases if case["key"] == key)

    def account(self, role: str) -> dict:
        """The first approved account with this role."""
        for account in self.accounts:
            if account["role"] == role and account.get("approved", True):
                return account
        raise LookupError(f"no approved demo account with role {role!r}")

    def is_public(self, case: dict) -> bool:
        return case.get("visibility", "public") == "public"

    def leads(self, account: dict, case: dict) -> bool:
        lead = " ".join(filter(None, [case["region"], case["municipality"]]))
        return bool(lead) and " ".join(account["place"].split()) == lead

    def involves(self, account: dict, case: dict) -> bool:
        return self.leads(account, case) or account["place"] in case.get("participating", [])

    def official_with_case(self) -> tuple[dict, dict]:
        """An approved official and a public case their local government leads — preferably one that no community or
        showcase shows, so that the tests which change it leave the others' pages alone."""
        shown = {key for c in self.communities for key in c.get("related_cases", [])}
        shown |= {key for showcase in self.activity["showcases"] for key in showcase["cases"]}
        pairs = [
            (account, case)
            for account in self.accounts
            if account["role"] == "official" and account.get("approved", True)
            for case in self.cases
            if self.is_public(case) and self.leads(account, case)
        ]
        if not pairs:
            raise LookupError("no approved demo official whose municipality leads a public demo case")
        return next(((a, c) for a, c in pairs if c["key"] not in shown), pairs[0])

    def community_with_feed(self) -> tuple[dict, dict, dict]:
        """A community with a titled demo post and a public related case: (community, case, post)."""
        for community in self.communities:
            posts = [post for post in self.posts if post["community"] == community["slug"] and post.get("title")]
            cases = [self.case(key) for key in community.get("related_cases", []) if self.is_public(self.case(key))]
            if posts and cases:
                return community, cases[0], posts[0]
        raise LookupError("no demo community with a titled post and a public related case")

    def memberships(self) -> list[tuple[dict, dict]]:
        """(account, community) for every approved plain member (not official, not curator) and community they are in."""
        by_email = {account["email"]: account for account in self.accounts}
        return [
            (by_email[email], community)
            for community in self.communities
            for email in [*community.get("moderators", []), *community.get("members", [])]
            if by_email[email]["role"] == "member" and by_email[email].get("approved", True)
        ]


@pytest.fixture(scope="session")
def demo() -> Demo:
    return Demo()


_sessions: dict[str, list[dict]] = {}


def login(page: Page, email: str, password: str) -> None:
    """Sign in through the real login form and check that it worked.

    The first sign-in of each account in the session goes through the form; later ones reuse its session cookie
    (password hashing and the extra round trips cost seconds per test, and no test signs anyone out).
    """
    if email in _sessions:
        page.context.add_cookies(_sessions[email])
        return
    page.goto("/accounts/login/")
    form = page.locator("main form")
    form.get_by_label("이메일").fill(email)
    form.get_by_label("비밀번호").fill(password)
    with page.expect_navigation():
        form.get_by_role("button", name="로그인").click()
    assert "/accounts/login/" not in page.url, f"login as {email} failed:\n{page.locator('main').inner_text()}"
    assert page.get_by_role("button", name="로그아웃").is_visible()
    _sessions[email] = [cookie for cookie in page.context.cookies() if cookie["name"] == "sessionid"]
