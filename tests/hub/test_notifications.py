"""In-app notifications: matching into grouped, deduplicated rows; the page, its actions, the header badge; the feed."""

import datetime
import re
import xml.etree.ElementTree as ET

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import rfc3339_date

from communities.services import post_create
from hub.interests import follow, interests_ensure, interests_update
from hub.matching import MatchEntry, Reason
from hub.models import DigestFrequency, MemberInterests, Notification
from hub.notifications import (
    FIRST_WINDOW,
    GROUP_TYPE,
    INDEXING_LAG,
    notification_window,
    notifications_apply,
    notifications_refresh,
    notifications_refresh_all,
)
from hub.tasks import notifications_refresh_all_task
from tests.factories import add_member, make_case, make_community, make_user
from tests.search_helpers import index_now

pytestmark = pytest.mark.django_db

PAGE = "/accounts/notifications/"


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def group_entry(community, *post_ids, published_at=None) -> MatchEntry:
    """What the matching gives for new posts in a followed community (built by hand for the page tests)."""
    return MatchEntry(
        key=f"{GROUP_TYPE}:{community.pk}",
        type=GROUP_TYPE,
        title=community.title,
        url=community.url,
        region="",
        municipality="",
        summary="",
        published_at=published_at or timezone.now(),
        score=1.0,
        reasons=[Reason("follow_community", str(community.pk), community.title)],
        count=len(post_ids),
        document_ids=tuple(f"post:{pk}" for pk in post_ids),
    )


def case_entry(case, *, technology=("iot", "IoT"), published_at=None) -> MatchEntry:
    return MatchEntry(
        key=f"case:{case.pk}",
        type="case",
        title=case.title,
        url=case.url,
        region=case.lead_place.parent.code if case.lead_place.parent_id else case.lead_place.code,
        municipality=case.lead_place.code if case.lead_place.parent_id else "",
        summary=case.summary,
        published_at=published_at or timezone.now(),
        score=2.0,
        reasons=[Reason("technology", *technology)],
        document_ids=(f"case:{case.pk}",),
    )


def up_to_date(member) -> None:
    """The member was refreshed just now: the page then shows what is stored and does not match again."""
    interests = interests_ensure(member=member)
    MemberInterests.objects.filter(pk=interests.pk).update(notified_until=timezone.now())


# Refresh through the real matching (both backends) ------------------------------------------------------------------


@pytest.fixture
def followed_community(search_backend):
    """A member in 세종 following a community where a colleague from 부산 posts twice."""
    follower = make_user(place_code="36000").member
    author = make_user(place_code="26110")
    community = make_community(title="스마트 안전 실무자")
    add_member(community, author)
    follow(member=follower, target=community)
    posts = [
        post_create(community=community, author=author, title=f"침수 센서 설치 후기 {n}", body="하천 수위 센서를 달았습니다.")
        for n in (1, 2)
    ]
    index_now()
    return follower, author, community, posts


def test_a_followed_community_gives_one_grouped_notification_and_never_duplicates(followed_community):
    follower, author, community, posts = followed_community

    assert notifications_refresh(member=follower) == 1
    [row] = Notification.objects.filter(member=follower)
    assert row.key == f"community_activity:{community.pk}" and row.type == GROUP_TYPE
    assert row.count == 2 and set(row.document_ids) == {f"post:{post.pk}" for post in posts}
    assert [reason["code"] for reason in row.reasons] == ["follow_community"]
    assert row.title == community.title and row.url == community.url and row.is_unread
    interests = MemberInterests.objects.get(member=follower)
    assert interests.notified_until is not None

    # Again (and again later, with a window overlapping the first): the same row, nothing new.
    assert notifications_refresh(member=follower) == 0
    assert notifications_refresh(member=follower, now=timezone.now() + datetime.timedelta(minutes=2)) == 0
    assert Notification.objects.filter(member=follower).count() == 1
    assert Notification.objects.get(member=follower).count == 2

    # Read; a third post makes it unread again, counting only what is new since reading.
    Notification.objects.filter(pk=row.pk).update(read_at=timezone.now())
    assert notifications_refresh(member=follower, now=timezone.now() + datetime.timedelta(minutes=3)) == 0
    assert not Notification.objects.get(pk=row.pk).is_unread  # re-matching what was read does not bring it back
    third = post_create(community=community, author=author, title="센서 배터리 교체 주기", body="2년마다 교체합니다.")
    index_now()
    assert notifications_refresh(member=follower, now=timezone.now() + datetime.timedelta(minutes=4)) == 1
    row.refresh_from_db()
    assert row.is_unread and row.count == 1 and f"post:{third.pk}" in row.document_ids
    assert Notification.objects.filter(member=follower).count() == 1

    # Unread and more activity: the counts add up.
    post_create(community=community, author=author, title="배수펌프 연동", body="펌프와 연동했습니다.")
    index_now()
    notifications_refresh(member=follower, now=timezone.now() + datetime.timedelta(minutes=5))
    row.refresh_from_db()
    assert row.is_unread and row.count == 2 and len(row.document_ids) == 4


def test_the_author_is_not_notified_of_their_own_posts(followed_community):
    _follower, author, _community, _posts = followed_community
    notifications_refresh(member=author.member)
    assert not Notification.objects.filter(member=author.member, type=GROUP_TYPE).exists()


def test_refresh_all_covers_approved_active_members_whatever_their_digest_frequency(followed_community):
    follower, author, community, _posts = followed_community
    interests_update(
        member=follower,
        sectors=[],
        technologies=[],
        places=[],
        tags=[],
        keywords=[],
        digest_frequency=DigestFrequency.OFF,
    )
    inactive = make_user(place_code="41110")
    follow(member=inactive.member, target=community)
    inactive.is_active = False
    inactive.save()
    pending = make_user(role="pending", place_code="41110")

    report = notifications_refresh_all(batch_size=2)  # several batches
    assert report.members >= 2 and report.changed >= 1
    assert Notification.objects.filter(member=follower, type=GROUP_TYPE, title=community.title).count() == 1
    assert not Notification.objects.filter(member__in=[inactive.member, pending.member]).exists()
    assert MemberInterests.objects.get(member=follower).notified_until is not None
    assert not MemberInterests.objects.filter(member=pending.member, notified_until__isnull=False).exists()

    # The scheduled task runs the same service; a second run changes nothing.
    assert notifications_refresh_all_task() == 0
    assert Notification.objects.filter(member=follower).count() == 1


def test_interests_notify_about_peer_cases_with_the_reason_and_place(search_backend):
    member = make_user(place_code="11110").member  # 서울 종로구
    interests = interests_ensure(member=member)
    interests_update(
        member=member,
        sectors=[],
        technologies=list(interests.technologies.model.objects.filter(slug="drones")),
        places=[],
        tags=[],
        keywords=[],
        digest_frequency=DigestFrequency.WEEKLY,
    )
    peer = make_case(place_code="26110", technologies=("drones",), title="드론 해안 순찰")
    make_case(place_code="11110", technologies=("drones",), title="우리 구 드론 사업")  # own local government: no
    index_now()

    notifications_refresh(member=member)
    rows = {row.key: row for row in Notification.objects.filter(member=member)}
    assert set(rows) == {f"case:{peer.pk}"}
    row = rows[f"case:{peer.pk}"]
    assert row.type == "case" and row.municipality == "26110"
    assert {"code": "technology", "value": "drones"}.items() <= row.reasons[0].items()

    up_to_date(member)
    client_page = _page_as(member)
    item = client_page.select_one(f"#notification-{row.pk}")
    assert "드론 해안 순찰" in item.get_text()
    assert "관심 기술 드론과 일치" in item.select_one(".notification__reasons").get_text()
    assert "부산광역시 중구" in item.select_one(".meta").get_text() and "사례" in item.select_one(".meta").get_text()


def _page_as(member) -> BeautifulSoup:
    from django.test import Client

    client = Client()
    client.force_login(member.user)
    response = client.get(PAGE)
    assert response.status_code == 200
    return soup_of(response)


def test_the_first_window_is_a_week_and_later_ones_start_where_the_last_ended():
    member = make_user().member
    interests = interests_ensure(member=member)
    now = timezone.now()
    assert notification_window(interests=interests, now=now) == (now - FIRST_WINDOW, now)
    interests.notified_until = now - datetime.timedelta(minutes=15)
    assert notification_window(interests=interests, now=now) == (now - datetime.timedelta(minutes=15) - INDEXING_LAG, now)
    interests.notified_until = now - datetime.timedelta(days=30)  # long ago: still at most a week back
    assert notification_window(interests=interests, now=now) == (now - FIRST_WINDOW, now)


# The upsert on its own ------------------------------------------------------------------------------------------------


def test_applying_the_same_entries_twice_keeps_one_row_and_a_later_publication_is_new_activity():
    member = make_user().member
    case = make_case(place_code="26110")
    first = timezone.now() - datetime.timedelta(hours=2)
    assert notifications_apply(member=member, entries=[case_entry(case, published_at=first)], now=timezone.now()) == 1
    assert notifications_apply(member=member, entries=[case_entry(case, published_at=first)], now=timezone.now()) == 0
    row = Notification.objects.get(member=member)
    Notification.objects.filter(pk=row.pk).update(read_at=timezone.now())

    later = timezone.now() - datetime.timedelta(minutes=5)
    changed = notifications_apply(
        member=member, entries=[case_entry(case, technology=("drones", "드론"), published_at=later)], now=timezone.now()
    )
    assert changed == 1
    row.refresh_from_db()
    assert row.is_unread and row.count == 1 and row.published_at == later and row.updated_at == later
    assert [reason["value"] for reason in row.reasons] == ["drones", "iot"]  # new reasons first, the old ones kept


def test_a_community_page_and_new_posts_in_it_are_two_notifications():
    """The matching keys a group of posts "community:<pk>", the community page's own document id: two rows all the same."""
    member = make_user().member
    community = make_community(title="스마트 농어촌")
    at = timezone.now()
    page_entry = MatchEntry(
        key=f"community:{community.pk}",
        type="community",
        title=community.title,
        url=community.url,
        region="",
        municipality="",
        summary="",
        published_at=at,
        score=1.0,
        reasons=[Reason("technology", "iot", "IoT")],
        document_ids=(f"community:{community.pk}",),
    )
    posts = group_entry(community, 7, 8, published_at=at)
    assert notifications_apply(member=member, entries=[page_entry, posts], now=timezone.now()) == 2
    rows = {row.type: row for row in Notification.objects.filter(member=member)}
    assert set(rows) == {"community", GROUP_TYPE}
    assert rows[GROUP_TYPE].count == 2 and rows["community"].count == 1
    assert rows[GROUP_TYPE].document_ids == ["post:7", "post:8"]
    assert notifications_apply(member=member, entries=[posts, page_entry], now=timezone.now()) == 0


# The page ------------------------------------------------------------------------------------------------------------


def test_the_page_lists_newest_first_and_marks_read_one_all_and_on_opening(client):
    member = make_user().member
    community = make_community(title="데이터 행정")
    case = make_case(place_code="26110", title="해운대 드론 순찰")
    older = timezone.now() - datetime.timedelta(hours=3)
    notifications_apply(
        member=member, entries=[case_entry(case, published_at=older), group_entry(community, 11, 12, 13)], now=timezone.now()
    )
    up_to_date(member)
    client.force_login(member.user)

    page = soup_of(client.get(PAGE))
    items = page.select("li.notification")
    assert [item.select_one("h2 a").get_text(strip=True) for item in items] == ["데이터 행정", "해운대 드론 순찰"]
    assert "새 글 3개" in items[0].get_text() and "커뮤니티 새 글" in items[0].select_one(".meta").get_text()
    assert "팔로우한 커뮤니티 데이터 행정의 새 글" in items[0].get_text()
    assert all(item.select_one(".badge").get_text(strip=True) == "새 알림" for item in items)
    assert "읽지 않은 알림 2개" in page.get_text()

    group, single = Notification.objects.get(type=GROUP_TYPE), Notification.objects.get(type="case")
    # One, by its button.
    response = client.post(reverse("hub:notification_read", args=[single.pk]), {"page": "1"})
    assert response.status_code == 302 and response["Location"] == PAGE
    single.refresh_from_db()
    assert not single.is_unread and Notification.objects.get(pk=group.pk).is_unread
    assert len(soup_of(client.get(PAGE)).select("li.notification--unread")) == 1

    # Opening through the list: a redirect to the item, read from then on.
    opened = client.get(reverse("hub:notification_open", args=[group.pk]))
    assert opened.status_code == 302 and opened["Location"] == community.url
    assert not Notification.objects.get(pk=group.pk).is_unread

    # All at once.
    Notification.objects.filter(member=member).update(read_at=None)
    response = client.post(reverse("hub:notifications_read_all"), follow=True)
    assert "알림 2개를 읽음으로 표시했습니다" in response.content.decode()
    assert not Notification.objects.filter(member=member, read_at__isnull=True).exists()
    assert not soup_of(client.get(PAGE)).select("li.notification--unread")


def test_the_page_paginates(client):
    member = make_user().member
    now = timezone.now()
    for n in range(25):
        notifications_apply(
            member=member,
            entries=[group_entry(make_community(title=f"모임 {n:02d}"), n, published_at=now - datetime.timedelta(minutes=n))],
            now=now,
        )
    up_to_date(member)
    client.force_login(member.user)
    first = soup_of(client.get(PAGE))
    assert len(first.select("li.notification")) == 20
    assert first.select_one("li.notification h2 a").get_text(strip=True) == "모임 00"
    second = soup_of(client.get(PAGE, {"page": 2}))
    titles = [a.get_text(strip=True) for a in second.select("li.notification h2 a")]
    assert titles == [f"모임 {n:02d}" for n in range(20, 25)]
    assert second.select_one("a[rel=prev]") is not None
    assert client.get(PAGE, {"page": "abc"}).status_code == 200  # a bad page number shows the first page


def test_others_notifications_cannot_be_read_or_opened_and_stored_links_stay_on_the_hub(client):
    owner, other = make_user().member, make_user().member
    case = make_case(place_code="26110")
    notifications_apply(member=owner, entries=[case_entry(case)], now=timezone.now())
    row = Notification.objects.get(member=owner)
    client.force_login(other.user)
    assert client.post(reverse("hub:notification_read", args=[row.pk])).status_code == 404
    assert client.get(reverse("hub:notification_open", args=[row.pk])).status_code == 404
    assert Notification.objects.get(pk=row.pk).is_unread

    Notification.objects.filter(pk=row.pk).update(url="//evil.example/phish")
    client.force_login(owner.user)
    assert client.get(reverse("hub:notification_open", args=[row.pk]))["Location"] == "/"


def test_only_signed_in_approved_members_have_notifications(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post(reverse("hub:notifications_read_all")).status_code == 302
    client.force_login(make_user(role="pending"))
    assert client.get(PAGE).status_code == 403
    assert client.post(reverse("hub:notification_feed_rotate")).status_code == 403
    assert client.get(reverse("hub:notifications_read_all")).status_code == 405  # actions are POST only


# The header badge ------------------------------------------------------------------------------------------------------


def notification_queries(queries) -> list[str]:
    return [query["sql"] for query in queries if "hub_notification" in query["sql"]]


def test_the_header_badge_counts_unread_with_one_count_query(client):
    member = make_user().member
    notifications_apply(member=member, entries=[group_entry(make_community(), 1), group_entry(make_community(), 2)], now=timezone.now())
    client.force_login(member.user)

    with CaptureQueriesContext(connection) as queries:
        page = soup_of(client.get("/accounts/settings/"))
    link = page.select_one(".site-tools a.nav-notifications")
    assert link["href"] == PAGE
    assert re.sub(r"\s+", "", link.select_one(".nav-badge").get_text()) == "2개읽지않음"
    [count] = notification_queries(queries.captured_queries)
    assert "COUNT(" in count.upper()

    Notification.objects.filter(member=member).update(read_at=timezone.now())
    link = soup_of(client.get("/accounts/settings/")).select_one(".site-tools a.nav-notifications")
    assert link is not None and link.select_one(".nav-badge") is None


def test_no_badge_and_no_query_for_visitors_and_pending_members(client):
    with CaptureQueriesContext(connection) as queries:
        page = soup_of(client.get("/accounts/login/"))
    assert page.select_one("a.nav-notifications") is None
    assert not notification_queries(queries.captured_queries)

    client.force_login(make_user(role="pending"))
    with CaptureQueriesContext(connection) as queries:
        page = soup_of(client.get("/accounts/settings/"))
    assert page.select_one("a.nav-notifications") is None
    assert not notification_queries(queries.captured_queries)


# The feed --------------------------------------------------------------------------------------------------------------


ATOM = "{http://www.w3.org/2005/Atom}"


def feed_entries(response) -> list[dict]:
    feed = ET.fromstring(response.content)
    return [
        {
            "title": entry.findtext(f"{ATOM}title"),
            "link": entry.find(f"{ATOM}link").get("href"),
            "summary": entry.findtext(f"{ATOM}summary"),
            "updated": entry.findtext(f"{ATOM}updated"),
        }
        for entry in feed.iter(f"{ATOM}entry")
    ]


def test_the_feed_opens_with_the_secret_token_only_and_a_new_one_retires_the_old(client):
    member = make_user().member
    community = make_community(title="돌봄 기술")
    updated = timezone.now() - datetime.timedelta(minutes=30)
    notifications_apply(member=member, entries=[group_entry(community, 1, 2, published_at=updated)], now=timezone.now())
    token = interests_ensure(member=member).feed_token
    url = f"/feeds/notifications/{token}/"

    response = client.get(url)  # no sign-in
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    assert response["Cache-Control"] == "private, no-store" and response["X-Robots-Tag"] == "noindex"
    [entry] = feed_entries(response)
    assert entry["title"] == "돌봄 기술: 새 글 2개"
    assert entry["link"] == f"http://testserver{community.url}"
    assert "팔로우한 커뮤니티 돌봄 기술의 새 글" in entry["summary"]
    assert entry["updated"] == rfc3339_date(updated)

    assert client.get(f"/feeds/notifications/{token[:-1]}x/").status_code == 404
    assert client.get("/feeds/notifications/not-a-token/").status_code == 404

    # The page shows the address and makes a new one; the old one stops working at once.
    client.force_login(member.user)
    up_to_date(member)
    shown = soup_of(client.get(PAGE)).select_one("#feed-url")["value"]
    assert shown == f"http://testserver{url}"
    response = client.post(reverse("hub:notification_feed_rotate"))
    assert response.status_code == 302 and response["Location"].endswith("#feed")
    new_token = MemberInterests.objects.get(member=member).feed_token
    assert new_token != token and len(new_token) >= 40
    assert client.get(url).status_code == 404
    assert client.get(f"/feeds/notifications/{new_token}/").status_code == 200
    assert soup_of(client.get(PAGE)).select_one("#feed-url")["value"].endswith(f"/feeds/notifications/{new_token}/")


def test_the_feed_of_a_deactivated_or_unapproved_account_is_gone(client):
    user = make_user()
    token = interests_ensure(member=user.member).feed_token
    assert client.get(f"/feeds/notifications/{token}/").status_code == 200
    user.is_active = False
    user.save()
    assert client.get(f"/feeds/notifications/{token}/").status_code == 404
    user.is_active = True
    user.save()
    user.member.is_approved = False
    user.member.save()
    assert client.get(f"/feeds/notifications/{token}/").status_code == 404
