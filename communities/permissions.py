"""Who may do what in a community: the one place these rules are decided. Views and selectors ask, never decide."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.utils.translation import gettext as _

from hub import permissions as hub_permissions

from .models import CommunityPage, CommunityPost, Membership


@dataclass
class CommunityViewer:
    """A user as seen by one community. Built once per request (one query for the membership); every check is free after."""

    user: object
    community: CommunityPage
    membership: Membership | None

    @cached_property
    def is_authenticated(self) -> bool:
        return bool(self.user.is_authenticated)

    @cached_property
    def is_curator(self) -> bool:
        return hub_permissions.is_curator(self.user)

    @cached_property
    def is_approved(self) -> bool:
        return hub_permissions.is_approved_member(self.user)

    @property
    def is_active_member(self) -> bool:
        return self.membership is not None and self.membership.status == Membership.Status.ACTIVE

    @property
    def is_pending(self) -> bool:
        return self.membership is not None and self.membership.status == Membership.Status.PENDING

    @property
    def is_moderator(self) -> bool:
        return self.membership is not None and self.membership.is_moderator

    # Reading -------------------------------------------------------------

    @property
    def can_read_feed(self) -> bool:
        visibility = self.community.post_visibility
        if visibility == CommunityPage.PostVisibility.PUBLIC or self.is_curator:
            return True
        if visibility == CommunityPage.PostVisibility.MEMBERS:
            return self.is_approved
        return self.is_approved and self.is_active_member

    @property
    def feed_refusal(self) -> str:
        if self.community.post_visibility == CommunityPage.PostVisibility.MEMBERS:
            return _("이 커뮤니티의 글은 승인된 회원에게만 공개됩니다.")
        return _("이 커뮤니티의 글은 커뮤니티 회원에게만 공개됩니다.")

    # Membership ----------------------------------------------------------

    @property
    def can_join(self) -> bool:
        return self.is_approved and self.membership is None

    @property
    def join_refusal(self) -> str:
        if not self.is_approved:
            return _("회원 가입이 승인된 뒤에 커뮤니티에 참여할 수 있습니다. 큐레이터의 승인을 기다려 주세요.")
        return _("이미 이 커뮤니티에 가입했거나 가입 신청을 했습니다.")

    @property
    def can_leave(self) -> bool:
        return self.membership is not None

    @property
    def can_moderate_members(self) -> bool:
        """Approve or reject pending requests, promote and demote."""
        return self.is_curator or (self.is_moderator and self.is_approved)

    # Posts ---------------------------------------------------------------

    @property
    def can_post(self) -> bool:
        return self.is_approved and self.is_active_member

    @property
    def post_refusal(self) -> str:
        if not self.is_approved:
            return _("회원 가입이 승인된 뒤에 글을 쓸 수 있습니다.")
        if self.is_pending:
            return _("커뮤니티 운영자가 가입을 승인하면 글을 쓸 수 있습니다.")
        return _("커뮤니티에 가입한 회원만 글을 쓸 수 있습니다.")

    def can_edit_post(self, post: CommunityPost) -> bool:
        """Its author (while approved) and curators; deleting follows the same rule."""
        if self.is_curator:
            return True
        return self.is_authenticated and self.is_approved and post.author_id is not None and post.author_id == self.user.pk

    @property
    def can_hide_posts(self) -> bool:
        """Moderators of this community and curators hide and unhide posts, and see hidden ones."""
        return self.is_curator or (self.is_moderator and self.is_approved)

    def can_see_post(self, post: CommunityPost) -> bool:
        return self.can_read_feed and (not post.is_hidden or self.can_hide_posts)


def community_viewer(user, community: CommunityPage, *, membership: Membership | None | bool = False) -> CommunityViewer:
    """The viewer for `user` in `community`; pass `membership` when it is already known to save the query."""
    if membership is False:
        membership = Membership.objects.filter(community=community, user=user).first() if user.is_authenticated else None
    return CommunityViewer(user=user, community=community, membership=membership)
