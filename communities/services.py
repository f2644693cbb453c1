"""Writes on communities: memberships and posts. Every rule broken here raises CommunityError, never a 500."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hub.pii_guard import PiiFieldFinding, pii_guard, pii_override_record

from .models import CommunityPage, CommunityPost, Membership

POST_TITLE_MAX_CHARS = CommunityPost._meta.get_field("title").max_length
POST_BODY_MAX_CHARS = 20_000
HIDDEN_REASON_MAX_CHARS = CommunityPost._meta.get_field("hidden_reason").max_length


class CommunityError(ValidationError):
    """A community rule was broken; `message` is shown to the user as is (a form error or a flash message)."""

    def __init__(self, message: str, *, code: str = "invalid"):
        super().__init__(message, code=code)


# Memberships ---------------------------------------------------------------


@transaction.atomic
def membership_join(*, community: CommunityPage, user) -> Membership:
    """Open communities take the user at once; the others file a pending request. Joining twice changes nothing."""
    status = Membership.Status.ACTIVE if community.join_policy == CommunityPage.JoinPolicy.OPEN else Membership.Status.PENDING
    membership, _created = Membership.objects.get_or_create(community=community, user=user, defaults={"status": status})
    return membership


def _other_moderators(membership: Membership):
    return (
        Membership.objects.active().filter(community_id=membership.community_id, role=Membership.Role.MODERATOR).exclude(pk=membership.pk)
    )


@transaction.atomic
def membership_leave(*, membership: Membership) -> None:
    if membership.is_moderator and not _other_moderators(membership).exists():
        raise CommunityError(
            _("마지막 운영자는 탈퇴할 수 없습니다. 다른 회원을 운영자로 지정한 뒤에 탈퇴해 주세요."), code="last_moderator"
        )
    membership.delete()


@transaction.atomic
def membership_approve(*, membership: Membership, by) -> Membership:
    if membership.status != Membership.Status.ACTIVE:
        membership.status = Membership.Status.ACTIVE
        membership.save(update_fields=["status"])
    return membership


@transaction.atomic
def membership_reject(*, membership: Membership, by) -> None:
    if membership.status != Membership.Status.PENDING:
        raise CommunityError(_("승인 대기 중인 신청만 거절할 수 있습니다."), code="not_pending")
    membership.delete()


@transaction.atomic
def membership_set_role(*, membership: Membership, role: str) -> Membership:
    if role not in Membership.Role.values:
        raise CommunityError(_("알 수 없는 역할입니다."), code="bad_role")
    if membership.status != Membership.Status.ACTIVE:
        raise CommunityError(_("가입이 승인된 회원만 역할을 바꿀 수 있습니다."), code="not_active")
    if role == membership.role:
        return membership
    if membership.is_moderator and not _other_moderators(membership).exists():
        raise CommunityError(_("커뮤니티에는 운영자가 한 명 이상 있어야 합니다."), code="last_moderator")
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


# Posts ---------------------------------------------------------------------


def _clean_post(*, title: str, body: str, is_reply: bool) -> tuple[str, str]:
    title, body = (title or "").strip(), (body or "").strip()
    if not body:
        raise CommunityError(_("내용을 입력해 주세요."), code="empty_body")
    if len(body) > POST_BODY_MAX_CHARS:
        raise CommunityError(_("내용은 %(n)s자까지 쓸 수 있습니다.") % {"n": f"{POST_BODY_MAX_CHARS:,}"}, code="body_too_long")
    if len(title) > POST_TITLE_MAX_CHARS:
        raise CommunityError(_("제목은 %(n)s자까지 쓸 수 있습니다.") % {"n": POST_TITLE_MAX_CHARS}, code="title_too_long")
    if is_reply and title:
        raise CommunityError(_("댓글에는 제목을 붙일 수 없습니다."), code="reply_title")
    return title, body


def _post_pii_guard(*, title: str, body: str, user, override_reason: str) -> list[PiiFieldFinding]:
    """Raises PiiBlocked when the post holds personal data (unless a curator overrides); see hub/pii_guard.py."""
    return pii_guard(fields={_("제목"): title, _("내용"): body}, user=user, override_reason=override_reason)


def post_pii_subject(*, title: str, parent: CommunityPost | None) -> str:
    """How a post is named in the curators' PII list: its title, or for a reply the topic it answers."""
    return title if parent is None else _("‘%(title)s’에 단 댓글") % {"title": parent.title}


@transaction.atomic
def post_create(
    *,
    community: CommunityPage,
    author,
    title: str = "",
    body: str,
    parent: CommunityPost | None = None,
    created_at: datetime.datetime | None = None,
    pii_override_reason: str = "",
) -> CommunityPost:
    """A topic (no parent) or a reply to a shown topic of the same community."""
    if parent is not None:
        if parent.community_id != community.pk:
            raise CommunityError(_("다른 커뮤니티의 글에는 댓글을 달 수 없습니다."), code="wrong_community")
        if parent.parent_id is not None:
            raise CommunityError(_("댓글에는 댓글을 달 수 없습니다. 원래 글에 댓글을 달아 주세요."), code="nested_reply")
        if parent.is_hidden:
            raise CommunityError(_("숨김 처리된 글에는 댓글을 달 수 없습니다."), code="hidden_parent")
    title, body = _clean_post(title=title, body=body, is_reply=parent is not None)
    overridden = _post_pii_guard(title=title, body=body, user=author, override_reason=pii_override_reason)
    post = CommunityPost.objects.create(
        community=community, author=author, title=title, body=body, parent=parent, created_at=created_at or timezone.now()
    )
    subject = post_pii_subject(title=title, parent=parent)
    pii_override_record(findings=overridden, user=author, target=post, subject=subject, reason=pii_override_reason)
    return post


@transaction.atomic
def post_update(*, post: CommunityPost, title: str = "", body: str, by=None, pii_override_reason: str = "") -> CommunityPost:
    """`by` is who edits; only a curator's `pii_override_reason` lets personal data through."""
    title, body = _clean_post(title=title, body=body, is_reply=post.parent_id is not None)
    overridden = _post_pii_guard(title=title, body=body, user=by, override_reason=pii_override_reason)
    post.title, post.body = title, body
    post.save(update_fields=["title", "body", "updated_at"])
    subject = post_pii_subject(title=title, parent=post.parent)
    pii_override_record(findings=overridden, user=by, target=post, subject=subject, reason=pii_override_reason)
    return post


@transaction.atomic
def post_delete(*, post: CommunityPost) -> None:
    """Deleting a topic deletes its replies with it."""
    CommunityPost.objects.filter(parent=post).delete()
    post.delete()


@transaction.atomic
def post_hide(*, post: CommunityPost, by, reason: str = "") -> CommunityPost:
    reason = (reason or "").strip()
    if len(reason) > HIDDEN_REASON_MAX_CHARS:
        raise CommunityError(_("숨긴 이유는 %(n)s자까지 쓸 수 있습니다.") % {"n": HIDDEN_REASON_MAX_CHARS}, code="reason_too_long")
    post.is_hidden, post.hidden_by, post.hidden_at, post.hidden_reason = True, by, timezone.now(), reason
    post.save(update_fields=["is_hidden", "hidden_by", "hidden_at", "hidden_reason", "updated_at"])
    return post


@transaction.atomic
def post_unhide(*, post: CommunityPost) -> CommunityPost:
    post.is_hidden, post.hidden_by, post.hidden_at, post.hidden_reason = False, None, None, ""
    post.save(update_fields=["is_hidden", "hidden_by", "hidden_at", "hidden_reason", "updated_at"])
    return post
