"""Background jobs of the hub itself. Tasks take ids, call one function, retry with backoff and are safe to repeat."""

import logging
import time
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from hub.models import Member
from hub.models.members import CURATOR_GROUP
from search.backends import SearchUnavailable

logger = logging.getLogger(__name__)
PROCESSED_MESSAGE_MAX_AGE_SECONDS = 24 * 3600


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def member_registered_notify_task(member_id: int) -> None:
    """Tell curators a new account waits for approval."""
    member = Member.objects.select_related("user", "place__parent").filter(pk=member_id).first()
    if member is None or member.is_approved:
        return
    curators = get_user_model().objects.filter(groups__name=CURATOR_GROUP, is_active=True).exclude(email="")
    recipients = sorted({u.email for u in curators})
    if not recipients:
        return
    with translation.override("ko"):
        body = render_to_string("hub/email/member_registered.txt", {"member": member, "base_url": settings.HUB_BASE_URL})
    send_mail(f"[가치허브] 가입 승인 요청: {member.display_name}", body, None, recipients)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def member_approved_notify_task(member_id: int) -> None:
    member = Member.objects.select_related("user").filter(pk=member_id, is_approved=True).first()
    if member is None or not member.user.email:
        return
    with translation.override(member.language):
        body = render_to_string("hub/email/member_approved.txt", {"member": member, "base_url": settings.HUB_BASE_URL})
        subject = translation.gettext("[가치허브] 가입이 승인되었습니다")
    send_mail(subject, body, None, [member.user.email])


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def member_invite_send_task(member_id: int) -> None:
    """An imported member's set-password e-mail: a one-use link made with Django's password-reset tokens.

    Nothing is sent once the account has a password (a retry after the member used the link, or a stale queue).
    """
    from django.contrib.auth.tokens import default_token_generator
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    member = Member.objects.select_related("user", "place__parent").filter(pk=member_id, is_approved=True).first()
    if member is None or not member.user.email or not member.user.is_active or member.user.has_usable_password():
        return
    user = member.user
    path = reverse("hub:password_set", args=[urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)])
    context = {
        "member": member,
        "base_url": settings.HUB_BASE_URL,
        "set_password_url": f"{settings.HUB_BASE_URL}{path}",
        "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
    }
    with translation.override(member.language):
        body = render_to_string("hub/email/member_invited.txt", context)
        subject = translation.gettext("[가치허브] 계정이 만들어졌습니다. 비밀번호를 정해 주세요")
    send_mail(subject, body, None, [user.email])


@shared_task(autoretry_for=(OSError, SearchUnavailable), retry_backoff=True, max_retries=5)
def notifications_refresh_all_task() -> int:
    """Every 15 minutes: in-app notifications of every approved active member brought up to now (hub/notifications.py).
    Safe to repeat: rows are upserted by key and each member's window starts where their last refresh ended."""
    from hub.notifications import notifications_refresh_all

    return notifications_refresh_all().changed


@shared_task
def broker_prune_processed() -> int:
    """The filesystem broker keeps processed messages; drop those older than a day so var/ does not grow forever."""
    folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("processed_folder")
    if not folder:
        return 0
    cutoff = time.time() - PROCESSED_MESSAGE_MAX_AGE_SECONDS
    removed = 0
    for message in Path(folder).glob("*.msg"):
        if message.stat().st_mtime < cutoff:
            message.unlink(missing_ok=True)
            removed += 1
    logger.info("pruned %d processed broker messages", removed)
    return removed


@shared_task(
    bind=True, autoretry_for=(SearchUnavailable, OSError), retry_backoff=60, retry_backoff_max=1800, max_retries=6, ignore_result=True
)
def digest_run_task(self, frequency: str, now: str | None = None) -> dict:
    """The daily or weekly digest e-mails (hub/digests.py). Safe to repeat and to retry: a member's Digest row for the
    period says what was built and sent, so a retry (the index or the mail server was down, the worker died) sends
    only what is missing. Retries stay within the period: the longest backoff is far shorter than a day.

    `now` (ISO 8601 with offset) runs the period that ended by then instead of by the current moment."""
    import datetime

    from hub.digests import digest_run

    run = digest_run(frequency=frequency, now=datetime.datetime.fromisoformat(now) if now else None)
    return {
        "run": run.pk,
        "members": run.members,
        "sent": run.sent,
        "empty": run.empty,
        "failed": run.failed,
        "unsubscribed": run.unsubscribed,
    }
