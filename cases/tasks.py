"""Background jobs of cases: the author's e-mails about the curators' review, the nightly harvest of peer hubs.
Tasks take ids or plain values, call one service, retry with backoff, are safe to repeat."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation
from wagtail.models import TaskState, WorkflowState
from wagtail.users.models import UserProfile

from cases.harvesting import HarvestError, PeerUnavailable, harvest_peer
from cases.models import CaseStudyPage
from hub import permissions

logger = logging.getLogger(__name__)


# The curators' review of cases (queued by cases/signals.py) ------------------------------------------------------


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def case_review_changes_requested_notify_task(task_state_id: int) -> None:
    """A curator asked for changes: send the case's author the comment in full and the way back to the editor.

    Nothing is sent when the request no longer stands as queued (a deleted case, a task state not rejected).
    """
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


def _reviewed_case(workflow_state) -> CaseStudyPage | None:
    return CaseStudyPage.objects.filter(pk=workflow_state.object_id).select_related("owner").first()


def _case_authors(workflow_state, case: CaseStudyPage, *, acting, preference: str) -> list:
    """Who submitted the case and who owns it, once each; not the curator who acted, nor anyone who turned this
    notice off in their Wagtail account settings or has no address."""
    people = {user.pk: user for user in (workflow_state.requested_by, case.owner) if user is not None}
    if acting is not None:
        people.pop(acting.pk, None)
    return [user for user in people.values() if user.is_active and user.email and getattr(UserProfile.get_for_user(user), preference)]


def _send_to(user, *, subject, template: str, context: dict) -> None:
    """In the recipient's language: `subject` is called inside it."""
    member = permissions.member_of(user)
    with translation.override(member.language if member else "ko"):
        body = render_to_string(template, {**context, "recipient": _person_name(user), "base_url": settings.HUB_BASE_URL})
        send_mail(subject(), body, None, [user.email])


def _person_name(user) -> str:
    if user is None:
        return ""
    member = permissions.member_of(user)
    return member.display_name if member else user.get_full_name() or user.get_username()


# Harvesting from peer hubs ----------------------------------------------------------------------------------------


@shared_task
def harvest_peers_task() -> int:
    """Queue one harvest per peer in HUB_HARVEST_PEERS, so that a failing peer neither stops nor delays the others."""
    for base_url in settings.HUB_HARVEST_PEERS:
        harvest_peer_task.delay(base_url=base_url)
    return len(settings.HUB_HARVEST_PEERS)


@shared_task(autoretry_for=(PeerUnavailable,), retry_backoff=60, retry_backoff_max=3600, max_retries=5)
def harvest_peer_task(base_url: str) -> None:
    """Harvest one peer. Retried with backoff while it does not answer; a peer that answers nonsense is only logged."""
    try:
        report = harvest_peer(base_url=base_url)
    except PeerUnavailable:
        raise
    except HarvestError:
        logger.exception("harvest of %s refused", base_url)
        return
    logger.info("harvest %s", report.summary())
    for key, reason in report.skipped:
        logger.warning("harvest %s: skipped %s: %s", base_url, key, reason)
    if report.errors:  # some details did not come or could not be read: try again (what came is kept; repeats are cheap)
        raise PeerUnavailable(base_url, "; ".join(report.errors))
