"""Tell a case's author how the curators' review went. The receivers only queue a Celery task after commit
(cases/tasks.py writes the e-mail, with the curator's comment).

They take the dispatch_uid of Wagtail's own notices to the submitter on approval and on rejection: for cases ours
replace Wagtail's (which carry no comment and are sent inside the request); any other page still gets Wagtail's.
Wagtail's notice to the curators when a case is submitted stays as it is.
"""

from django.db import transaction
from wagtail.admin.signal_handlers import workflow_approval_email_notifier, workflow_rejection_email_notifier
from wagtail.models import WorkflowState
from wagtail.signals import workflow_approved, workflow_rejected

from cases.models import CaseStudyPage

WAGTAIL_REJECTION_UID = "workflow_state_rejected_email_notification"
WAGTAIL_APPROVAL_UID = "workflow_state_approved_email_notification"


def _is_case(workflow_state: WorkflowState) -> bool:
    model = workflow_state.content_type.model_class()
    return model is not None and issubclass(model, CaseStudyPage)


def case_review_changes_requested(sender, instance: WorkflowState, user=None, **kwargs):
    if not _is_case(instance):
        return workflow_rejection_email_notifier(instance=instance, user=user, **kwargs)
    from cases.tasks import case_review_changes_requested_notify_task

    task_state_id = instance.current_task_state_id
    transaction.on_commit(lambda: case_review_changes_requested_notify_task.delay(task_state_id))
    return True


def case_review_published(sender, instance: WorkflowState, user=None, **kwargs):
    if not _is_case(instance):
        return workflow_approval_email_notifier(instance=instance, user=user, **kwargs)
    from cases.tasks import case_review_published_notify_task

    workflow_state_id = instance.pk
    transaction.on_commit(lambda: case_review_published_notify_task.delay(workflow_state_id))
    return True


def review_signals_connect() -> None:
    """Called from CasesConfig.ready(). Works whichever app is ready first: a receiver Wagtail connected already is
    dropped, and once ours holds the dispatch_uid, Wagtail's later connect under the same uid is ignored."""
    for signal, receiver, uid in (
        (workflow_rejected, case_review_changes_requested, WAGTAIL_REJECTION_UID),
        (workflow_approved, case_review_published, WAGTAIL_APPROVAL_UID),
    ):
        signal.disconnect(sender=WorkflowState, dispatch_uid=uid)
        signal.connect(receiver, sender=WorkflowState, dispatch_uid=uid)
