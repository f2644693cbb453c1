"""Notifications in a real browser: follow a community, a colleague posts, the follower sees one grouped notification
with the header badge, opens it, marks the rest read, and reads (then retires) the secret feed address."""

import re
import time
import urllib.error
import urllib.request

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from .conftest import login
from .test_accessibility import assert_accessible

pytestmark = pytest.mark.browser

NOTIFICATIONS = "/accounts/notifications/"


@pytest.fixture(scope="module")
def axe():
    return Axe()


def switch_to(page: Page, account: dict) -> None:
    page.context.clear_cookies()
    login(page, account["email"], account["password"])


def badge_count(page: Page) -> int:
    badge = page.locator(".site-tools a.nav-notifications .nav-badge")
    if badge.count() == 0:
        return 0
    return int(re.match(r"\d+", badge.inner_text().strip()).group())


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def follower_and_author(demo) -> tuple[dict, dict, dict]:
    """An open community, its moderator (who posts) and an approved plain member outside it (who follows)."""
    by_email = {account["email"]: account for account in demo.accounts}
    for community in demo.communities:
        if community["join_policy"] != "open" or not community.get("moderators"):
            continue
        inside = {*community.get("moderators", []), *community.get("members", [])}
        outside = [a for a in demo.accounts if a["role"] == "member" and a.get("approved", True) and a["email"] not in inside]
        if outside:
            return community, by_email[community["moderators"][0]], outside[0]
    raise LookupError("no open demo community with an approved plain member outside it")


def test_a_followed_community_post_becomes_a_notification_with_a_badge_and_a_feed(page, axe, demo):
    community, author, follower = follower_and_author(demo)
    url = f"/communities/{community['slug']}/"

    login(page, follower["email"], follower["password"])
    page.goto(url)
    follow = page.locator(".follow").get_by_role("button", name="팔로우", exact=True)
    if follow.count():
        follow.click()
        expect(page.get_by_role("status")).to_contain_text("팔로우했습니다")
    expect(page.locator(".follow").get_by_role("button", name="팔로우 취소")).to_be_visible()

    switch_to(page, author)
    page.goto(url)
    page.get_by_role("link", name="글 쓰기").click()
    title = f"침수 센서 설치 후기 {time.time_ns()}"
    page.get_by_label("제목").fill(title)
    page.get_by_label("내용").fill("하천 수위 센서를 **12곳**에 달았습니다.")
    page.get_by_role("button", name="저장").click()
    expect(page.get_by_role("status")).to_contain_text("글을 올렸습니다")

    switch_to(page, follower)
    page.goto(NOTIFICATIONS)  # opening the page brings the notifications up to date
    expect(page.get_by_role("heading", level=1)).to_have_text("알림")
    # The group of new posts (the community page itself may be a notification of its own, by interest).
    groups = page.locator("li.notification", has=page.get_by_role("link", name=community["title"], exact=True))
    item = groups.filter(has_text="새 글")
    expect(item).to_have_count(1)
    # At least this post: other browser tests share the demo site and may have posted in the community too.
    expect(item).to_contain_text(re.compile(r"새 글 \d+개"))
    expect(item.locator(".notification__reasons")).to_contain_text(f"팔로우한 커뮤니티 {community['title']}의 새 글")
    expect(item.get_by_text("새 알림")).to_be_visible()
    unread = badge_count(page)
    assert unread >= 1
    assert f"읽지 않은 알림 {unread}개" in page.locator("main").inner_text()

    assert_accessible(axe, page, NOTIFICATIONS)

    # Opening it goes to the community and it counts as read.
    item.get_by_role("link", name=community["title"], exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(url) + "$"))
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    assert badge_count(page) == unread - 1

    page.goto(NOTIFICATIONS)
    expect(item.get_by_text("새 알림")).to_have_count(0)
    if unread > 1:
        page.get_by_role("button", name="모두 읽음으로 표시").click()
        expect(page.get_by_role("status")).to_contain_text("읽음으로 표시했습니다")
    expect(page.locator("li.notification--unread")).to_have_count(0)
    assert badge_count(page) == 0

    # The feed: opens without signing in; a new address retires the old one.
    feed_url = page.get_by_label("내 알림 피드 주소").input_value()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/feeds/notifications/[\w-]{40,}/", feed_url)
    with urllib.request.urlopen(feed_url, timeout=10) as response:
        atom = response.read().decode()
    assert community["title"] in atom and "<feed" in atom
    page.get_by_role("button", name="새 주소 만들기").click()
    expect(page.get_by_role("status")).to_contain_text("알림 피드 주소를 새로 만들었습니다")
    new_url = page.get_by_label("내 알림 피드 주소").input_value()
    assert new_url != feed_url
    assert status_of(feed_url) == 404
    assert status_of(new_url) == 200


def test_curator_digest_tools_are_accessible(page, axe, demo):
    curator = demo.account("curator")
    login(page, curator["email"], curator["password"])
    assert_accessible(axe, page, "/accounts/digests/")
    member = demo.account("member")
    page.goto("/accounts/digests/preview/")
    page.get_by_label("회원 찾기(이메일 또는 이름)").fill(member["email"])
    page.get_by_role("button", name="찾기").click()
    page.get_by_role("link", name=re.compile(f"^미리보기\\W+{re.escape(member['email'])}$")).click()
    expect(page.locator("#plan-daily")).to_be_visible()
    expect(page.locator("#plan-weekly")).to_be_visible()
    assert_accessible(axe, page, page.url)
    page.get_by_role("link", name="이 회원의 발송 기록").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("소식 메일 기록")
