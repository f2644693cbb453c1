import re

import pytest
from django.urls import reverse

from communities import services
from communities.models import CommunityPost, Membership
from tests.factories import add_member, make_case, make_community, make_user
from tests.xss import executable_parts, payloads

pytestmark = pytest.mark.django_db


@pytest.fixture
def community():
    return make_community(join_policy="open")


@pytest.fixture
def member(community):
    user = make_user(name="김회원")
    add_member(community, user)
    return user


@pytest.fixture
def moderator(community):
    user = make_user(name="박운영")
    add_member(community, user, role="moderator")
    return user


def topic_by(community, author, body="본문", title="제목"):
    return services.post_create(community=community, author=author, title=title, body=body)


# Membership -----------------------------------------------------------------


def test_member_joins_an_open_community_and_can_post(client, community):
    user = make_user()
    client.force_login(user)
    response = client.post(f"{community.url}join/")
    assert response.status_code == 302
    assert Membership.objects.get(community=community, user=user).status == Membership.Status.ACTIVE
    page = client.get(community.url).content.decode()
    assert "커뮤니티에 가입했습니다" in page and f'href="{community.url}posts/new/"' in page


def test_join_to_an_approval_community_waits_for_a_moderator(client):
    community = make_community(join_policy="approval")
    moderator, user = make_user(), make_user(name="이신청")
    add_member(community, moderator, role="moderator")
    client.force_login(user)
    client.post(f"{community.url}join/")
    membership = Membership.objects.get(community=community, user=user)
    assert membership.status == Membership.Status.PENDING
    assert client.get(f"{community.url}posts/new/").status_code == 403

    client.force_login(moderator)
    page = client.get(community.url).content.decode()
    assert "이신청" in page and f"memberships/{membership.pk}/approve/" in page
    response = client.post(f"{community.url}memberships/{membership.pk}/approve/")
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.status == Membership.Status.ACTIVE
    client.force_login(user)
    assert client.get(f"{community.url}posts/new/").status_code == 200


def test_moderator_rejects_a_request(client):
    community = make_community(join_policy="approval")
    moderator = make_user()
    add_member(community, moderator, role="moderator")
    pending = services.membership_join(community=community, user=make_user())
    client.force_login(moderator)
    client.post(f"{community.url}memberships/{pending.pk}/reject/")
    assert not Membership.objects.filter(pk=pending.pk).exists()


def test_plain_members_cannot_moderate_memberships(client, community, member):
    other = add_member(community, make_user())
    client.force_login(member)
    assert client.post(f"{community.url}memberships/{other.pk}/promote/").status_code == 403
    other.refresh_from_db()
    assert other.role == Membership.Role.MEMBER


def test_moderator_promotes_and_demotes(client, community, moderator, member):
    membership = Membership.objects.get(community=community, user=member)
    client.force_login(moderator)
    client.post(f"{community.url}memberships/{membership.pk}/promote/")
    membership.refresh_from_db()
    assert membership.role == Membership.Role.MODERATOR
    client.post(f"{community.url}memberships/{membership.pk}/demote/")
    membership.refresh_from_db()
    assert membership.role == Membership.Role.MEMBER


def test_unapproved_member_is_told_to_wait_and_cannot_join(client, community):
    pending = make_user(role="pending")
    client.force_login(pending)
    assert "큐레이터의 승인을 기다려" in client.get(community.url).content.decode()
    response = client.post(f"{community.url}join/")
    assert response.status_code == 403 and "승인" in response.content.decode()
    assert not Membership.objects.filter(user=pending).exists()


def test_member_leaves(client, community, member, moderator):
    client.force_login(member)
    response = client.post(f"{community.url}leave/", follow=True)
    assert "탈퇴했습니다" in response.content.decode()
    assert not Membership.objects.filter(community=community, user=member).exists()


def test_last_moderator_cannot_leave_and_sees_why(client, community, moderator):
    client.force_login(moderator)
    response = client.post(f"{community.url}leave/", follow=True)
    assert response.status_code == 200 and "마지막 운영자" in response.content.decode()
    assert Membership.objects.filter(community=community, user=moderator).exists()


@pytest.mark.parametrize("path", ["join/", "leave/", "posts/new/", "members/"])
def test_anonymous_is_sent_to_login(client, community, path):
    method = client.get if path in {"posts/new/", "members/"} else client.post
    if path == "members/":
        community.post_visibility = "members"
        community.save_revision().publish()
    response = method(f"{community.url}{path}")
    assert response.status_code == 302 and response["Location"].startswith(reverse("hub:login")) and "next=" in response["Location"]


def test_join_and_leave_are_post_only(client, community, member):
    client.force_login(member)
    assert client.get(f"{community.url}join/").status_code == 405
    assert client.get(f"{community.url}leave/").status_code == 405
    assert Membership.objects.filter(user=member).exists()


def test_bad_moderation_action_is_a_400(client, community, moderator, member):
    membership = Membership.objects.get(community=community, user=member)
    client.force_login(moderator)
    assert client.post(f"{community.url}memberships/{membership.pk}/explode/").status_code == 400
    post = topic_by(community, member)
    assert client.post(f"{community.url}posts/{post.pk}/hide/", {"action": "explode"}).status_code == 400


def test_membership_of_another_community_is_a_404(client, community, moderator):
    elsewhere = add_member(make_community(), make_user())
    client.force_login(moderator)
    assert client.post(f"{community.url}memberships/{elsewhere.pk}/promote/").status_code == 404


# Posts ------------------------------------------------------------------------


def test_member_posts_a_topic_and_a_reply(client, community, member):
    client.force_login(member)
    response = client.post(f"{community.url}posts/new/", {"title": "신호 최적화 질문", "body": "교차로 **몇 곳**에서 시작했나요?"})
    topic = CommunityPost.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"posts/{topic.pk}/#post-{topic.pk}")
    response = client.post(f"{community.url}posts/{topic.pk}/", {"body": "저희는 12곳에서 시작했습니다."})
    reply = CommunityPost.objects.get(parent=topic)
    assert response.status_code == 302 and response["Location"].endswith(f"#post-{reply.pk}")
    feed = client.get(community.url).content.decode()
    assert "신호 최적화 질문" in feed and "<strong>몇 곳</strong>" in feed and "12곳에서 시작" in feed and "김회원" in feed
    detail = client.get(f"{community.url}posts/{topic.pk}/").content.decode()
    assert "12곳에서 시작" in detail and "종로구" in detail and "스마트도시과" in detail


def test_reply_from_the_feed_returns_to_the_feed(client, community, member):
    topic = topic_by(community, member)
    client.force_login(member)
    response = client.post(f"{community.url}posts/{topic.pk}/", {"body": "피드에서 답", "next": f"{community.url}?page=1#post-{topic.pk}"})
    assert response["Location"] == f"{community.url}?page=1#post-{topic.pk}"
    evil = client.post(f"{community.url}posts/{topic.pk}/", {"body": "또 답", "next": "https://evil.example/"})
    assert "evil.example" not in evil["Location"]


def test_empty_post_is_a_form_error_not_a_500(client, community, member):
    client.force_login(member)
    response = client.post(f"{community.url}posts/new/", {"title": "제목만", "body": "   "})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    topic = topic_by(community, member)
    response = client.post(f"{community.url}posts/{topic.pk}/", {"body": ""})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert CommunityPost.objects.count() == 1


def test_post_form_has_a_markdown_preview(client, community, member):
    client.force_login(member)
    page = client.get(f"{community.url}posts/new/").content.decode()
    assert 'data-markdown-preview="true"' in page and 'for="id_title"' in page and 'for="id_body"' in page


def test_author_edits_and_deletes_others_get_403(client, community, member):
    topic = topic_by(community, member, title="원래 제목")
    reply = services.post_create(community=community, author=member, body="댓글", parent=topic)
    other = make_user()
    add_member(community, other)
    client.force_login(other)
    assert client.get(f"{community.url}posts/{topic.pk}/edit/").status_code == 403
    assert client.post(f"{community.url}posts/{topic.pk}/edit/", {"title": "탈취", "body": "x"}).status_code == 403
    assert client.post(f"{community.url}posts/{topic.pk}/delete/").status_code == 403
    assert CommunityPost.objects.filter(pk=topic.pk, title="원래 제목").exists()

    client.force_login(member)
    response = client.post(f"{community.url}posts/{topic.pk}/edit/", {"title": "고친 제목", "body": "고친 본문"})
    assert response.status_code == 302
    topic.refresh_from_db()
    assert (topic.title, topic.body) == ("고친 제목", "고친 본문")
    assert "title" not in client.get(f"{community.url}posts/{reply.pk}/edit/").context["form"].fields
    assert client.get(f"{community.url}posts/{topic.pk}/delete/").status_code == 200
    assert client.post(f"{community.url}posts/{topic.pk}/delete/").status_code == 302
    assert not CommunityPost.objects.exists()


def test_curator_may_edit_any_post(client, community, member):
    topic = topic_by(community, member)
    client.force_login(make_user(role="curator"))
    assert client.get(f"{community.url}posts/{topic.pk}/edit/").status_code == 200


def test_non_member_and_unapproved_member_cannot_post(client, community, member):
    topic = topic_by(community, member)
    outsider = make_user()
    unapproved = make_user(role="pending")
    add_member(community, unapproved)
    for user in (outsider, unapproved):
        client.force_login(user)
        assert client.get(f"{community.url}posts/new/").status_code == 403
        assert client.post(f"{community.url}posts/new/", {"body": "몰래"}).status_code == 403
        assert client.post(f"{community.url}posts/{topic.pk}/", {"body": "몰래 답"}).status_code == 403
    assert CommunityPost.objects.count() == 1


def test_nonexistent_post_is_a_404(client, community, member):
    client.force_login(member)
    assert client.get(f"{community.url}posts/999999/").status_code == 404
    assert client.get(f"{community.url}posts/999999/edit/").status_code == 404
    assert client.post(f"{community.url}posts/999999/delete/").status_code == 404
    other_post = topic_by(make_community(), member)
    assert client.get(f"{community.url}posts/{other_post.pk}/").status_code == 404


def test_a_reply_url_leads_to_its_topic(client, community, member):
    topic = topic_by(community, member)
    reply = services.post_create(community=community, author=member, body="답", parent=topic)
    response = client.get(f"{community.url}posts/{reply.pk}/")
    assert response.status_code == 302 and response["Location"].endswith(f"posts/{topic.pk}/#post-{reply.pk}")


# Moderation -------------------------------------------------------------------


def test_moderator_hides_a_post_members_lose_it_moderators_see_it_marked(client, community, member, moderator):
    topic = topic_by(community, member, title="광고 글", body="싸게 팝니다")
    client.force_login(member)
    assert client.post(f"{community.url}posts/{topic.pk}/hide/", {"action": "hide"}).status_code == 403

    client.force_login(moderator)
    response = client.post(f"{community.url}posts/{topic.pk}/hide/", {"action": "hide", "reason": "광고"})
    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.is_hidden and topic.hidden_by == moderator and topic.hidden_reason == "광고"
    page = client.get(community.url).content.decode()
    assert "싸게 팝니다" in page and "숨김 처리됨" in page and 'value="unhide"' in page

    client.force_login(member)
    assert "싸게 팝니다" not in client.get(community.url).content.decode()
    assert client.get(f"{community.url}posts/{topic.pk}/").status_code == 404
    client.logout()
    assert "싸게 팝니다" not in client.get(community.url).content.decode()

    client.force_login(moderator)
    client.post(f"{community.url}posts/{topic.pk}/hide/", {"action": "unhide"})
    client.force_login(member)
    assert "싸게 팝니다" in client.get(community.url).content.decode()


def test_hidden_reply_disappears_for_members(client, community, member, moderator):
    topic = topic_by(community, member)
    reply = services.post_create(community=community, author=member, body="개인 전화번호 010", parent=topic)
    services.post_hide(post=reply, by=moderator)
    client.force_login(member)
    assert "개인 전화번호" not in client.get(f"{community.url}posts/{topic.pk}/").content.decode()
    client.force_login(moderator)
    detail = client.get(f"{community.url}posts/{topic.pk}/").content.decode()
    assert "개인 전화번호" in detail and "숨김 처리됨" in detail


# Visibility -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("visibility", "expected"),
    [
        ("public", {"anonymous": True, "pending": True, "outsider": True, "member": True}),
        ("members", {"anonymous": False, "pending": False, "outsider": True, "member": True}),
        ("community", {"anonymous": False, "pending": False, "outsider": False, "member": True}),
    ],
)
def test_post_visibility_is_enforced_on_feed_and_detail(client, visibility, expected):
    community = make_community(post_visibility=visibility)
    author = make_user()
    add_member(community, author)
    topic = topic_by(community, author, body="비공개일 수 있는 내용")
    users = {"anonymous": None, "pending": make_user(role="pending"), "outsider": make_user(), "member": author}
    for role, user in users.items():
        client.logout()
        if user is not None:
            client.force_login(user)
        feed = client.get(community.url)
        assert feed.status_code == 200
        assert ("비공개일 수 있는 내용" in feed.content.decode()) is expected[role], role
        detail = client.get(f"{community.url}posts/{topic.pk}/")
        if expected[role]:
            assert detail.status_code == 200, role
        elif user is None:
            assert detail.status_code == 302 and detail["Location"].startswith(reverse("hub:login"))
        else:
            assert detail.status_code == 403, role


def test_curator_reads_a_community_only_feed(client):
    community = make_community(post_visibility="community")
    author = make_user()
    add_member(community, author)
    topic_by(community, author, body="회원끼리 이야기")
    client.force_login(make_user(role="curator"))
    assert "회원끼리 이야기" in client.get(community.url).content.decode()


def test_related_cases_show_only_what_the_viewer_may_open(client, community):
    public, members_only = make_case(title="공개 사례"), make_case(title="회원 사례", visibility="members")
    community.related_cases.set([public, members_only])
    community.save_revision().publish()
    page = client.get(community.url).content.decode()
    assert "공개 사례" in page and public.url in page and "회원 사례" not in page
    client.force_login(make_user())
    assert "회원 사례" in client.get(community.url).content.decode()


def test_members_page_lists_members_with_their_place(client, community, member, moderator):
    client.force_login(moderator)
    page = client.get(f"{community.url}members/").content.decode()
    assert "김회원" in page and "박운영" in page and "종로구" in page and "운영자로 지정" in page


def test_community_index_lists_cards_with_counts_and_own_membership(client, community, member):
    topic_by(community, member)
    client.force_login(member)
    page = client.get("/communities/").content.decode()
    assert community.title in page and "회원 1명" in page and "글 1개" in page and "가입함" in page


# XSS --------------------------------------------------------------------------

USER_CONTENT = re.compile(r'<div class="post__body">(.*?)</div>|<h[13] id="post-title[^"]*">(.*?)</h[13]>', re.S)


def user_content(html: str) -> list[str]:
    """What authors wrote, as rendered: post bodies and titles (the page's own forms are not theirs)."""
    return ["".join(parts) for parts in USER_CONTENT.findall(html)]


def test_xss_payloads_in_bodies_render_without_executable_script(client, community, member):
    client.force_login(member)
    corpus = payloads()
    assert corpus
    topic = topic_by(community, member, title="XSS", body="시작")
    for payload in corpus:
        services.post_create(community=community, author=member, title=payload[:200], body=payload)
        services.post_create(community=community, author=member, body=payload, parent=topic)
    pages = {community.url: 20, f"{community.url}?page=2": 20, f"{community.url}posts/{topic.pk}/": len(corpus) + 1}
    for url, shown in pages.items():
        response = client.get(url)
        assert response.status_code == 200
        parts = user_content(response.content.decode())
        assert len(parts) >= shown, url
        for part in parts:
            assert executable_parts(part) == [], (url, part)
    # The page outside user content carries no injected script either: only the site's own script tags.
    page = response.content.decode()
    assert re.findall(r"<script[^>]*>", page) == [
        '<script src="/static/hub/hub.js" defer>',
        '<script src="/static/hub/search.js" defer>',
    ]


def test_actions_need_the_csrf_token(community, member):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user())
    assert client.post(f"{community.url}join/").status_code == 403
    client.force_login(member)
    assert client.post(f"{community.url}posts/new/", {"body": "토큰 없이"}).status_code == 403
    assert not CommunityPost.objects.exists()
