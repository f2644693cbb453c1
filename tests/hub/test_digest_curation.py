"""Curators' digest tools: preview for any member (what and why), each member's delivery log, run statistics."""

import datetime

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone

from cases.models import Technology
from communities.services import post_create
from hub.digests import digest_period
from hub.interests import follow, interests_ensure, interests_update
from hub.models import Digest, DigestFrequency, DigestItem, DigestRun
from tests.factories import add_member, make_case, make_community, make_user
from tests.search_helpers import index_now

pytestmark = pytest.mark.django_db

RUNS = "/accounts/digests/"
PREVIEW = "/accounts/digests/preview/"


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def log_url(member) -> str:
    return reverse("hub:digest_log", args=[member.pk])


# Who may look ----------------------------------------------------------------------------------------------------------


def test_only_curators_see_the_digest_tools(client):
    member = make_user().member
    urls = [RUNS, PREVIEW, f"{PREVIEW}?q=member", log_url(member)]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
    client.force_login(make_user(role="official"))
    for url in urls:
        assert client.get(url).status_code == 403, url
    client.force_login(make_user(role="curator"))
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_the_tools_are_in_the_wagtail_admin_menu_for_curators_only(client):
    client.force_login(make_user(role="curator"))
    admin = client.get("/admin/").content.decode()
    assert f'"{RUNS}"' in admin  # the sidebar's menu items, as JSON
    client.force_login(make_user(role="official"))
    response = client.get("/admin/")
    assert response.status_code == 200 and f'"{RUNS}"' not in response.content.decode()


# Preview ---------------------------------------------------------------------------------------------------------------


def test_members_are_found_by_email_or_name(client):
    make_user(email="kim.jongno@seoul.example", name="김종로")
    make_user(email="lee@busan.example", name="이해운")
    client.force_login(make_user(role="curator"))
    by_email = soup_of(client.get(PREVIEW, {"q": "JONGNO"}))
    assert [td.get_text(strip=True) for td in by_email.select("table.member-results tbody td:nth-of-type(2)")] == [
        "kim.jongno@seoul.example"
    ]
    by_name = soup_of(client.get(PREVIEW, {"q": "해운"}))
    assert [td.get_text(strip=True) for td in by_name.select("table.member-results tbody td:nth-of-type(2)")] == ["lee@busan.example"]
    assert "맞는 회원이 없습니다" in soup_of(client.get(PREVIEW, {"q": "없는사람"})).get_text()


def test_an_unknown_or_malformed_member_is_a_clear_404(client):
    client.force_login(make_user(role="curator"))
    for value in ("999999", "abc", "9" * 40):
        response = client.get(PREVIEW, {"member": value})
        assert response.status_code == 404
        assert "그런 회원이 없습니다" in response.content.decode()


def test_the_preview_shows_both_frequencies_with_the_reasons(client, search_backend):
    member = make_user(place_code="11110", email="preview@jongno.example").member
    interests_ensure(member=member)
    interests_update(
        member=member,
        sectors=[],
        technologies=list(Technology.objects.filter(slug="drones")),
        places=[],
        tags=[],
        keywords=[],
        digest_frequency=DigestFrequency.OFF,  # receives no e-mail; the curator still sees what it would say
    )
    now = timezone.now()
    daily_start, daily_end = digest_period(frequency=DigestFrequency.DAILY, now=now)
    weekly_start, weekly_end = digest_period(frequency=DigestFrequency.WEEKLY, now=now)
    # A followed community's post in the last complete day (so in the last complete week only if that ended later).
    author = make_user(place_code="26110")
    community = make_community(title="드론 순찰 실무")
    add_member(community, author)
    follow(member=member, target=community)
    post_create(
        community=community,
        author=author,
        title="야간 비행 승인 받는 법",
        body="항공청 승인 절차입니다.",
        created_at=weekly_end - datetime.timedelta(hours=2),
    )
    peer = make_case(place_code="26110", technologies=("drones",), title="해안 드론 순찰")
    index_now()
    client.force_login(make_user(role="curator"))

    page = soup_of(client.get(PREVIEW, {"member": member.pk}))
    assert "preview@jongno.example" in page.select_one("#member-heading").get_text()
    facts = page.select_one(".facts").get_text(" ", strip=True)
    assert "받지 않음" in facts and "드론" in facts
    weekly = page.select_one("#plan-weekly")
    daily = page.select_one("#plan-daily")
    assert weekly is not None and daily is not None
    assert weekly_start.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d %H:%M") in weekly.select_one("h3").get_text()
    entry = next(li for li in weekly.select("li.post") if "드론 순찰 실무" in li.get_text())
    assert "팔로우한 커뮤니티 드론 순찰 실무의 새 글" in entry.select_one(".chips").get_text()
    in_daily = daily_start <= weekly_end - datetime.timedelta(hours=2) < daily_end
    assert any("드론 순찰 실무" in li.get_text() for li in daily.select("li.post")) == in_daily
    # The case was published now, after both periods ended: not in either preview.
    assert peer.title not in page.select_one(".digest-preview").get_text()


# Delivery log ----------------------------------------------------------------------------------------------------------


def make_digest(member, *, status, period_start, run=None, error="", items=()):
    digest = Digest.objects.create(
        member=member,
        run=run,
        frequency=DigestFrequency.WEEKLY,
        period_start=period_start,
        period_end=period_start + datetime.timedelta(days=7),
        status=status,
        error=error,
        attempts=1 if status != Digest.Status.SENT else 1,
        sent_at=period_start + datetime.timedelta(days=7) if status == Digest.Status.SENT else None,
    )
    for position, (title, reasons) in enumerate(items):
        DigestItem.objects.create(
            digest=digest,
            position=position,
            key=f"case:{position + 1}",
            type="case",
            title=title,
            url=f"/cases/case-{position + 1}/",
            region="26000",
            municipality="26110",
            reasons=reasons,
            document_ids=[f"case:{position + 1}"],
        )
    return digest


def test_the_log_shows_each_digest_with_its_status_error_and_reasons(client):
    member = make_user(email="log@busan.example").member
    start = timezone.now().replace(microsecond=0) - datetime.timedelta(days=14)
    sent = make_digest(
        member,
        status=Digest.Status.SENT,
        period_start=start,
        items=[("해안 드론 순찰", [{"code": "technology", "value": "drones", "label": "드론", "text": "관심 기술 드론과 일치"}])],
    )
    failed = make_digest(
        member,
        status=Digest.Status.FAILED,
        period_start=start + datetime.timedelta(days=7),
        error="SMTPRecipientsRefused: 452 mailbox full",
        items=[("스마트 쉼터", [{"code": "unknown_future_reason", "value": "x", "text": "저장된 이유 문장"}])],
    )
    other = make_digest(make_user().member, status=Digest.Status.SENT, period_start=start, items=[("남의 소식", [])])
    client.force_login(make_user(role="curator"))

    page = soup_of(client.get(log_url(member)))
    sections = page.select("section.digest")
    assert [section["id"] for section in sections] == [f"digest-{failed.pk}", f"digest-{sent.pk}"]  # newest period first
    failed_section = page.select_one(f"#digest-{failed.pk}")
    assert "실패" in failed_section.select_one("h2 .badge").get_text()
    assert failed_section.select_one("pre.digest__error").get_text() == "SMTPRecipientsRefused: 452 mailbox full"
    assert "저장된 이유 문장" in failed_section.select_one(".chips").get_text()
    sent_section = page.select_one(f"#digest-{sent.pk}")
    assert "보냄" in sent_section.select_one("h2 .badge").get_text()
    assert "관심 기술 드론과 일치" in sent_section.select_one(".chips").get_text()
    assert "부산광역시 중구" in sent_section.select_one("li.post .meta").get_text()
    assert sent_section.select_one("li.post a")["href"] == "/cases/case-1/"
    assert "남의 소식" not in page.get_text() and f"digest-{other.pk}" not in str(page)
    assert client.get(reverse("hub:digest_log", args=[999999])).status_code == 404


# Run statistics --------------------------------------------------------------------------------------------------------


def test_runs_are_listed_newest_first_with_their_counts_and_failures(client):
    now = timezone.now()
    older = DigestRun.objects.create(
        frequency=DigestFrequency.DAILY,
        period_start=now - datetime.timedelta(days=2),
        period_end=now - datetime.timedelta(days=1),
        finished_at=now,
        members=10,
        sent=7,
        empty=2,
        failed=1,
        unsubscribed=0,
    )
    newer = DigestRun.objects.create(
        frequency=DigestFrequency.WEEKLY,
        period_start=now - datetime.timedelta(days=7),
        period_end=now,
        members=5,
        sent=3,
        empty=1,
        failed=0,
        unsubscribed=1,
    )
    member = make_user(email="failed@daegu.example").member
    failed = make_digest(member, status=Digest.Status.FAILED, period_start=now - datetime.timedelta(days=2), run=older, error="timeout")
    client.force_login(make_user(role="curator"))

    page = soup_of(client.get(RUNS))
    rows = page.select("table.digest-runs tbody tr")
    assert [row["id"] for row in rows] == [f"run-{newer.pk}", f"run-{older.pk}"]

    def stats(row):
        return {td["data-stat"]: td.contents[0].strip() for td in row.select("td[data-stat]")}

    assert stats(rows[1]) == {"members": "10", "sent": "7", "empty": "2", "failed": "1", "unsubscribed": "0"}
    assert stats(rows[0]) == {"members": "5", "sent": "3", "empty": "1", "failed": "0", "unsubscribed": "1"}
    problem = rows[1].select_one(".digest-problems a")
    assert problem.get_text() == "failed@daegu.example" and problem["href"] == f"{log_url(member)}#digest-{failed.pk}"
    assert "진행 중 또는 중단됨" in rows[0].get_text()  # not finished

    weekly = soup_of(client.get(RUNS, {"frequency": "weekly"}))
    assert [row["id"] for row in weekly.select("table.digest-runs tbody tr")] == [f"run-{newer.pk}"]
    bad = client.get(RUNS, {"frequency": "hourly"})
    assert bad.status_code == 200 and "알 수 없는 주기입니다" in bad.content.decode()
