import pytest

from communities import services
from communities.models import CommunityPost, Membership
from communities.permissions import community_viewer
from communities.services import CommunityError
from tests.factories import add_member, make_community, make_user

pytestmark = pytest.mark.django_db


def test_joining_an_open_community_is_immediate_and_idempotent():
    community, user = make_community(join_policy="open"), make_user()
    first = services.membership_join(community=community, user=user)
    again = services.membership_join(community=community, user=user)
    assert first.pk == again.pk and first.status == Membership.Status.ACTIVE
    assert Membership.objects.filter(community=community).count() == 1


def test_joining_an_approval_community_files_a_pending_request_until_approved():
    community, user, moderator = make_community(join_policy="approval"), make_user(), make_user()
    membership = services.membership_join(community=community, user=user)
    assert membership.status == Membership.Status.PENDING
    assert not community_viewer(user, community).can_post
    services.membership_approve(membership=membership, by=moderator)
    membership.refresh_from_db()
    assert membership.status == Membership.Status.ACTIVE
    assert community_viewer(user, community).can_post


def test_reject_deletes_a_pending_request_but_not_an_active_membership():
    community = make_community(join_policy="approval")
    pending = services.membership_join(community=community, user=make_user())
    services.membership_reject(membership=pending, by=None)
    assert not Membership.objects.filter(pk=pending.pk).exists()
    active = add_member(community, make_user())
    with pytest.raises(CommunityError):
        services.membership_reject(membership=active, by=None)
    assert Membership.objects.filter(pk=active.pk).exists()


def test_the_last_moderator_can_neither_leave_nor_be_demoted():
    community = make_community()
    moderator = add_member(community, make_user(), role="moderator")
    with pytest.raises(CommunityError, match="마지막 운영자"):
        services.membership_leave(membership=moderator)
    with pytest.raises(CommunityError):
        services.membership_set_role(membership=moderator, role=Membership.Role.MEMBER)
    second = add_member(community, make_user())
    services.membership_set_role(membership=second, role=Membership.Role.MODERATOR)
    services.membership_leave(membership=moderator)
    assert list(Membership.objects.filter(community=community).values_list("role", flat=True)) == ["moderator"]


def test_set_role_refuses_unknown_roles_and_pending_members():
    community = make_community(join_policy="approval")
    pending = services.membership_join(community=community, user=make_user())
    with pytest.raises(CommunityError):
        services.membership_set_role(membership=pending, role=Membership.Role.MODERATOR)
    with pytest.raises(CommunityError):
        services.membership_set_role(membership=pending, role="owner")


@pytest.mark.parametrize("body", ["", "   \n ", "x" * (services.POST_BODY_MAX_CHARS + 1)])
def test_post_create_refuses_empty_or_overlong_bodies(body):
    community = make_community()
    with pytest.raises(CommunityError):
        services.post_create(community=community, author=make_user(), body=body)
    assert not CommunityPost.objects.exists()


def test_post_create_refuses_an_overlong_title():
    with pytest.raises(CommunityError):
        services.post_create(community=make_community(), author=make_user(), title="제" * 201, body="본문")


def test_replies_go_to_a_shown_topic_of_the_same_community():
    community, other, author = make_community(), make_community(), make_user()
    topic = services.post_create(community=community, author=author, title="질문", body="본문")
    reply = services.post_create(community=community, author=author, body="답", parent=topic)
    assert reply.parent == topic and reply.title == ""
    with pytest.raises(CommunityError):
        services.post_create(community=other, author=author, body="다른 곳", parent=topic)
    with pytest.raises(CommunityError):
        services.post_create(community=community, author=author, body="답의 답", parent=reply)
    with pytest.raises(CommunityError):
        services.post_create(community=community, author=author, title="제목", body="댓글에 제목", parent=topic)
    services.post_hide(post=topic, by=author, reason="광고")
    with pytest.raises(CommunityError, match="숨김"):
        services.post_create(community=community, author=author, body="숨긴 글에", parent=topic)
    assert CommunityPost.objects.count() == 2


def test_deleting_a_topic_deletes_its_replies():
    community, author = make_community(), make_user()
    topic = services.post_create(community=community, author=author, body="본문")
    services.post_create(community=community, author=author, body="답1", parent=topic)
    services.post_create(community=community, author=author, body="답2", parent=topic)
    keep = services.post_create(community=community, author=author, body="다른 글")
    services.post_delete(post=topic)
    assert list(CommunityPost.objects.all()) == [keep]


def test_hide_records_who_when_and_why_and_unhide_clears_it():
    community, author, moderator = make_community(), make_user(), make_user()
    post = services.post_create(community=community, author=author, body="본문")
    services.post_hide(post=post, by=moderator, reason="개인정보 포함")
    post.refresh_from_db()
    assert post.is_hidden and post.hidden_by == moderator and post.hidden_at and post.hidden_reason == "개인정보 포함"
    services.post_unhide(post=post)
    post.refresh_from_db()
    assert not post.is_hidden and post.hidden_by is None and post.hidden_at is None and post.hidden_reason == ""


def test_post_update_applies_the_same_rules():
    post = services.post_create(community=make_community(), author=make_user(), title="원래", body="본문")
    services.post_update(post=post, title="고침", body="새 본문")
    post.refresh_from_db()
    assert (post.title, post.body) == ("고침", "새 본문")
    with pytest.raises(CommunityError):
        services.post_update(post=post, title="고침", body=" ")
