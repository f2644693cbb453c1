"""The community pages cost a fixed number of queries, whatever the number of posts, replies and members."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communities import services
from tests.factories import add_member, make_case, make_community, make_user

pytestmark = pytest.mark.django_db

# Measured (SQLite, 2026-12): the community page costs 18 queries anonymous and 27 for a moderator, with 2 posts as with
# 30 posts x 4 replies and 20 members. Wagtail's site lookup, routing and view restrictions take 8, the page's own reads 10
# (related cases, sectors, technologies, member counts, moderators, members, feed count, topics, replies, followers); a signed-in moderator adds the session,
# user, member profile, groups, their membership, the pending requests, the user bar's 2 permission reads and the header's unread-notification count.
ANONYMOUS_MAX_QUERIES = 18
MODERATOR_MAX_QUERIES = 27
# The index page for a signed-in member: 16 with 1 community as with 9.
INDEX_MAX_QUERIES = 16


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def grow(community, *, topics: int, replies_per_topic: int, members: int):
    authors = [make_user(name=f"회원 {n}") for n in range(members)]
    for author in authors:
        add_member(community, author)
    for n in range(topics):
        author = authors[n % len(authors)]
        topic = services.post_create(community=community, author=author, title=f"글 {n}", body=f"본문 **{n}**")
        for r in range(replies_per_topic):
            services.post_create(community=community, author=authors[(n + r + 1) % len(authors)], body=f"답 {r}", parent=topic)
        if n % 7 == 3:
            services.post_hide(post=topic, by=author, reason="테스트")
    return authors


def community_with_context():
    community = make_community(join_policy="approval")
    community.related_cases.set([make_case(), make_case(visibility="members")])
    community.save_revision().publish()
    moderator = make_user(name="운영자")
    add_member(community, moderator, role="moderator")
    services.membership_join(community=community, user=make_user(name="신청자"))
    return community, moderator


@pytest.mark.parametrize("viewer", ["anonymous", "moderator"])
def test_community_page_queries_do_not_grow_with_posts_replies_or_members(client, viewer, django_assert_max_num_queries):
    small, moderator_small = community_with_context()
    grow(small, topics=2, replies_per_topic=1, members=2)
    large, moderator_large = community_with_context()
    grow(large, topics=30, replies_per_topic=4, members=20)
    bound = ANONYMOUS_MAX_QUERIES if viewer == "anonymous" else MODERATOR_MAX_QUERIES

    if viewer == "moderator":
        client.force_login(moderator_small)
    client.get(small.url)  # warm the site and session caches
    few = queries_for(client, small.url)
    if viewer == "moderator":
        client.force_login(moderator_large)
    client.get(large.url)
    many = queries_for(client, large.url)
    second_page = queries_for(client, f"{large.url}?page=2")

    assert many == few == second_page, f"{viewer}: {few} queries with 2 posts, {many} with 30 posts (page 2: {second_page})"
    with django_assert_max_num_queries(bound):
        client.get(large.url)


def test_post_detail_queries_do_not_grow_with_replies(client):
    community, moderator = community_with_context()
    authors = grow(community, topics=1, replies_per_topic=2, members=3)
    topic = community.posts.get(parent=None)
    client.force_login(moderator)
    url = f"{community.url}posts/{topic.pk}/"
    client.get(url)
    few = queries_for(client, url)
    for n in range(40):
        services.post_create(community=community, author=authors[n % 3], body=f"추가 답 {n}", parent=topic)
    assert queries_for(client, url) == few


def test_community_index_queries_do_not_grow_with_communities(client, django_assert_max_num_queries):
    user = make_user()
    client.force_login(user)
    community = make_community()
    grow(community, topics=2, replies_per_topic=1, members=2)
    client.get("/communities/")
    few = queries_for(client, "/communities/")
    for _ in range(8):
        other = make_community()
        services.membership_join(community=other, user=user)
        grow(other, topics=3, replies_per_topic=2, members=3)
    many = queries_for(client, "/communities/")
    assert many == few, f"index: {few} queries with 1 community, {many} with 9"
    with django_assert_max_num_queries(INDEX_MAX_QUERIES):
        client.get("/communities/")
