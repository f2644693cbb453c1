"""The hub's own background jobs, end to end: on-commit → real Redis broker → real Celery worker → real SMTP server."""

import time

import pytest

from hub.services import member_approve, member_register
from tests.factories import make_user, place


@pytest.fixture
def smtp_settings(settings, smtp_server):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    return smtp_server


def wait_for_messages(inbox, count: int, timeout: float = 15.0) -> list:
    deadline = time.monotonic() + timeout
    while len(inbox.messages) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return inbox.messages


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sign_up_mails_the_curators_through_the_worker(redis_worker, smtp_settings):
    make_user(role="curator", email="curator@agency.example")
    member_register(email="new@jongno.example", password="pw-2026-long!", name="김주무", place=place("11110"), organisation="정보통신과")

    [message] = wait_for_messages(smtp_settings, 1)
    assert message["To"] == "curator@agency.example"
    assert "가입 승인 요청" in message["Subject"] and "김주무" in message["Subject"]
    assert "정보통신과" in message.get_content()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_approval_mails_the_member_in_their_language(redis_worker, smtp_settings):
    curator = make_user(role="curator")
    member = member_register(
        email="kim@busan.example", password="pw-2026-long!", name="Kim", place=place("26110"), organisation="Smart City", language="en"
    )
    wait_for_messages(smtp_settings, 1)  # the curators' notice first: SQLite's shared test database has no lock waits
    member_approve(member=member, approved_by=curator)

    messages = wait_for_messages(smtp_settings, 2)
    approval = next(m for m in messages if m["To"] == "kim@busan.example")
    assert approval["Subject"].strip() == "[Gachi Hub] Your account has been approved"
