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


# The curators' review of cases (queued by cases/signals.py) ------------------------------------------------------


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def case_review_changes_requested_notify_task(task_state_id: int) -> None:
    """A curator asked for changes: send the case's author the comment in full and the way back to the editor.

    Nothing is sent when the request no longer stands as queued (a deleted case, a task state not rejected).
    """
    from wagtail.models import TaskState

    task_state = (
        TaskState.objects.select_related("workflow_state__requested_by", "finished_by", "task")
        .filter(pk=task_state_id, status=TaskState.STATUS_REJECTED)
        .first()
    )
    case = _reviewed_case(task_state.workflow_state) if task_state else None
    if case is None:
        return
    context = {
        "case": case,
        "comment": task_state.comment.strip(),
        "reviewer": _person_name(task_state.finished_by),
        "task_name": task_state.task.name,
        "edit_url": f"{settings.HUB_BASE_URL}/admin/pages/{case.pk}/edit/",
    }
    for user in _case_authors(task_state.workflow_state, case, acting=task_state.finished_by, preference="rejected_notifications"):
        _send_to(
            user,
            subject=lambda: translation.gettext("[가치허브] 사례 수정 요청: %(title)s") % {"title": case.title},
            template="cases/email/review_changes_requested.txt",
            context=context,
        )


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def case_review_published_notify_task(workflow_state_id: int) -> None:
    """The curators approved the case and it is live: tell its author where to find it."""
    from wagtail.models import WorkflowState

    workflow_state = (
        WorkflowState.objects.select_related("requested_by", "current_task_state__finished_by")
        .filter(pk=workflow_state_id, status=WorkflowState.STATUS_APPROVED)
        .first()
    )
    case = _reviewed_case(workflow_state) if workflow_state else None
    if case is None or not case.live:
        return
    approval = workflow_state.current_task_state
    approver = approval.finished_by if approval else None
    url = case.get_url() or ""
    context = {
        "case": case,
        "comment": (approval.comment if approval else "").strip(),
        "reviewer": _person_name(approver),
        "case_url": f"{settings.HUB_BASE_URL}{url}" if url.startswith("/") else url,
    }
    for user in _case_authors(workflow_state, case, acting=approver, preference="approved_notifications"):
        _send_to(
            user,
            subject=lambda: translation.gettext("[가치허브] 사례가 게시되었습니다: %(title)s") % {"title": case.title},
            template="cases/email/review_published.txt",
            context=context,
        )


def _reviewed_case(workflow_state):
    from cases.models import CaseStudyPage

    return CaseStudyPage.objects.filter(pk=workflow_state.object_id).select_related("owner").first()


def _case_authors(workflow_state, case, *, acting, preference: str) -> list:
    """Who submitted the case and who owns it, once each; not the curator who acted, nor anyone who turned this
    notice off in their Wagtail account settings or has no address."""
    from wagtail.users.models import UserProfile

    people = {user.pk: user for user in (workflow_state.requested_by, case.owner) if user is not None}
    if acting is not None:
        people.pop(acting.pk, None)
    return [user for user in people.values() if user.is_active and user.email and getattr(UserProfile.get_for_user(user), preference)]


def _send_to(user, *, subject, template: str, context: dict) -> None:
    """In the recipient's language: `subject` is called inside it."""
    member = Member.objects.filter(user=user).first()
    with translation.override(member.language if member else "ko"):
        body = render_to_string(template, {**context, "recipient": _person_name(user), "base_url": settings.HUB_BASE_URL})
        send_mail(subject(), body, None, [user.email])


def _person_name(user) -> str:
    if user is None:
        return ""
    member = Member.objects.filter(user=user).first()
    return member.display_name if member else user.get_full_name() or user.get_username()


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
