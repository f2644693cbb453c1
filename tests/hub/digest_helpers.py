"""Helpers for the digest tests: members with interests, items published at a chosen moment, the next run moment."""

from __future__ import annotations

import datetime
import re
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from cases.models import CaseStudyPage, Sector, Technology
from hub.interests import interests_ensure
from hub.models import Member
from search.indexing import outbox_record
from tests.factories import make_user
from tests.search_helpers import index_now

SEOUL = ZoneInfo("Asia/Seoul")


def seoul(text: str) -> datetime.datetime:
    """'2026-11-21 07:00' in Asia/Seoul."""
    return datetime.datetime.fromisoformat(text).replace(tzinfo=SEOUL)


def next_run_after(moment: datetime.datetime) -> datetime.datetime:
    """The first 07:00 Asia/Seoul strictly after `moment`: the run whose daily period holds `moment`."""
    local = moment.astimezone(SEOUL)
    seven = local.replace(hour=7, minute=0, second=0, microsecond=0)
    return seven if seven > local else seven + datetime.timedelta(days=1)


def digest_member(
    *,
    place_code: str = "50000",
    frequency: str = "daily",
    technologies=("iot",),
    sectors=("environment",),
    language: str = "ko",
    email: str | None = None,
) -> Member:
    """An approved member with these interests and nothing else (no default places, tags or keywords)."""
    user = make_user(role="official", place_code=place_code, email=email)
    member = user.member
    if language != "ko":
        Member.objects.filter(pk=member.pk).update(language=language)
        member.refresh_from_db()
    interests = interests_ensure(member=member)
    interests.digest_frequency = frequency
    interests.tags, interests.keywords = [], []
    interests.save()
    interests.sectors.set(Sector.objects.filter(slug__in=sectors))
    interests.technologies.set(Technology.objects.filter(slug__in=technologies))
    interests.places.clear()
    return Member.objects.select_related("user").get(pk=member.pk)


def published_at(case: CaseStudyPage, moment: datetime.datetime) -> CaseStudyPage:
    """Make `case` look published at `moment` (what the index reads as its published_at) and index it."""
    CaseStudyPage.objects.filter(pk=case.pk).update(first_published_at=moment, last_published_at=moment)
    with transaction.atomic():
        outbox_record([f"case:{case.pk}"])
    index_now()
    return CaseStudyPage.objects.get(pk=case.pk)


def unsubscribe_path(message) -> str:
    """The path of the List-Unsubscribe URL of a received message."""
    header = str(message["List-Unsubscribe"])
    url = re.fullmatch(r"<(https?://[^>]+)>", header.strip()).group(1)
    return re.sub(r"^https?://[^/]+", "", url)


def now_in_seoul() -> datetime.datetime:
    return timezone.now().astimezone(SEOUL)


class MailServer:
    """A real SMTP server (aiosmtpd) on loopback that can misbehave the ways real ones do.

    refuse: recipients answered "550 no such user" at RCPT; fail_data: how many DATA commands get "451" before the
    server accepts again; stall_at: the DATA of this message number (1-based) never gets an answer until `release()`.
    `messages` holds what was accepted (250), nothing else."""

    def __init__(self, *, refuse=(), fail_data: int = 0, stall_at: int | None = None):
        import email
        import email.policy
        import threading

        from aiosmtpd.controller import Controller

        from tests.conftest import free_port

        self.refuse = {address.lower() for address in refuse}
        self.fail_data = fail_data
        self.stall_at = stall_at
        self.messages: list = []
        self.data_commands = 0
        self.stalled = threading.Event()
        self.released = threading.Event()
        server = self

        class Handler:
            async def handle_RCPT(self, smtp, session, envelope, address, rcpt_options):
                if address.lower() in server.refuse:
                    return "550 5.1.1 no such user"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, smtp, session, envelope):
                import asyncio

                server.data_commands += 1
                if server.stall_at is not None and len(server.messages) + 1 >= server.stall_at and not server.released.is_set():
                    server.stalled.set()
                    while not server.released.is_set():
                        await asyncio.sleep(0.05)
                    return "421 4.3.2 shutting down"
                if server.fail_data > 0:
                    server.fail_data -= 1
                    return "451 4.3.0 try again later"
                server.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=free_port())

    def __enter__(self):
        self.controller.start()
        self.port = self.controller.port
        return self

    def __exit__(self, *exc):
        self.released.set()
        self.controller.stop()

    def release(self) -> None:
        self.released.set()

    def to(self, address: str) -> list:
        return [m for m in self.messages if str(m["To"]).lower() == address.lower()]


def use_mail_server(settings, server) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", server.port, 10
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
