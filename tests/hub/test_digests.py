"""Digest e-mails: periods, what goes in (and never twice), rendering, sending outcomes, unsubscribing."""

import datetime

import pytest
from django.core import mail, signing
from django.test import Client

from hub.digests import (
    UNSUBSCRIBE_SALT,
    DigestPlan,
    digest_build,
    digest_message,
    digest_period,
    digest_plans,
    digest_preview,
    digest_run,
    digest_unsubscribe_token,
)
from hub.matching import Reason
from hub.models import Digest, DigestItem, DigestRun, DigestSentItem, MemberInterests
from hub.tasks import digest_run_task
from tests.factories import make_case, make_user
from tests.hub.digest_helpers import MailServer, digest_member, published_at, seoul, unsubscribe_path, use_mail_server

pytestmark = pytest.mark.django_db

BASE_URL = "https://hub.example.go.kr"


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.HUB_BASE_URL = BASE_URL


def gyeonggi_iot_case(title: str, moment, **fields):
    """An IoT air-quality case of 수원시 (경기도), published at `moment`."""
    case = make_case(place_code="41110", title=title, sector="environment", technologies=("iot",), **fields)
    return published_at(case, moment)


def keys(digest: Digest) -> list[str]:
    return [item.key for item in digest.items.all()]


def digest_of(member, start) -> Digest:
    return Digest.objects.get(member=member, period_start=start)


# Periods -----------------------------------------------------------------------------------------------------------


def test_daily_periods_end_at_seven_in_seoul():
    assert digest_period(frequency="daily", now=seoul("2026-11-21 07:00:00")) == (seoul("2026-11-20 07:00"), seoul("2026-11-21 07:00"))
    assert digest_period(frequency="daily", now=seoul("2026-11-21 06:59:59")) == (seoul("2026-11-19 07:00"), seoul("2026-11-20 07:00"))
    # A moment given in UTC is the same moment: 22:00 UTC is 07:00 the next morning in Seoul.
    utc = datetime.datetime(2026, 11, 20, 22, 0, tzinfo=datetime.UTC)
    assert digest_period(frequency="daily", now=utc) == (seoul("2026-11-20 07:00"), seoul("2026-11-21 07:00"))


def test_weekly_periods_run_monday_to_monday():
    monday = seoul("2026-11-23 07:00")  # a Monday
    assert monday.weekday() == 0
    assert digest_period(frequency="weekly", now=monday) == (seoul("2026-11-16 07:00"), monday)
    assert digest_period(frequency="weekly", now=seoul("2026-11-23 06:59:59")) == (seoul("2026-11-09 07:00"), seoul("2026-11-16 07:00"))
    assert digest_period(frequency="weekly", now=seoul("2026-11-29 23:00")) == (seoul("2026-11-16 07:00"), monday)


def test_a_period_needs_a_frequency_that_sends_and_an_aware_moment():
    with pytest.raises(ValueError, match="frequency"):
        digest_period(frequency="off", now=seoul("2026-11-21 07:00"))
    with pytest.raises(ValueError, match="aware"):
        digest_period(frequency="daily", now=datetime.datetime(2026, 11, 21, 7))


# What goes in ------------------------------------------------------------------------------------------------------


def test_an_item_at_06_59_59_is_in_one_daily_digest_and_07_00_00_in_the_next(search_backend):
    member = digest_member()
    before = gyeonggi_iot_case("IoT 대기질 측정망 (전날)", seoul("2026-11-21 06:59:59"))
    at_seven = gyeonggi_iot_case("IoT 미세먼지 센서 (당일)", seoul("2026-11-21 07:00:00"))

    first = digest_run(frequency="daily", now=seoul("2026-11-21 07:00"))
    assert (first.members, first.sent) == (1, 1)
    assert keys(digest_of(member, seoul("2026-11-20 07:00"))) == [f"case:{before.pk}"]

    again = digest_run(frequency="daily", now=seoul("2026-11-21 07:30"))  # the same period: nothing more to send
    assert (again.sent, again.empty, again.failed) == (0, 0, 0)

    second = digest_run(frequency="daily", now=seoul("2026-11-22 07:00"))
    assert second.sent == 1
    assert keys(digest_of(member, seoul("2026-11-21 07:00"))) == [f"case:{at_seven.pk}"]
    [one, two] = mail.outbox
    assert before.title in one.body and at_seven.title not in one.body
    assert at_seven.title in two.body and before.title not in two.body


def test_three_weekly_runs_each_bring_that_weeks_items_and_never_an_earlier_one(search_sqlite):
    member = digest_member(frequency="weekly")
    weeks = [seoul("2026-11-09 07:00"), seoul("2026-11-16 07:00"), seoul("2026-11-23 07:00"), seoul("2026-11-30 07:00")]
    cases = [
        [gyeonggi_iot_case(f"IoT 대기 센서 {n}주차 {i}", week + datetime.timedelta(days=2, hours=i)) for i in range(2)]
        for n, week in enumerate(weeks[:3], start=1)
    ]
    for number, (start, end) in enumerate(zip(weeks, weeks[1:], strict=False)):
        run = digest_run(frequency="weekly", now=end + datetime.timedelta(minutes=1))
        assert (run.period_start, run.period_end, run.sent) == (start, end, 1)
        assert set(keys(digest_of(member, start))) == {f"case:{case.pk}" for case in cases[number]}
        # A case from an earlier week edited now is in the index as new again; a digest never repeats it.
        if number == 0:
            published_at(cases[0][0], weeks[1] + datetime.timedelta(hours=1))
    assert len(mail.outbox) == 3
    assert cases[0][0].title not in mail.outbox[1].body + mail.outbox[2].body
    assert DigestSentItem.objects.filter(member=member).count() == 6


def test_no_email_when_there_is_nothing_new(search_sqlite):
    member = digest_member()
    gyeonggi_iot_case("IoT 대기질 측정망", seoul("2026-11-19 10:00"))  # two days before: another period

    run = digest_run(frequency="daily", now=seoul("2026-11-21 07:00"))

    assert (run.members, run.sent, run.empty) == (1, 0, 1)
    assert digest_of(member, seoul("2026-11-20 07:00")).status == Digest.Status.EMPTY
    assert mail.outbox == []


def test_only_approved_active_members_of_that_frequency_get_one(search_sqlite):
    daily = digest_member()
    weekly = digest_member(frequency="weekly")
    off = digest_member(frequency="off")
    inactive = digest_member()
    inactive.user.is_active = False
    inactive.user.save()
    gyeonggi_iot_case("IoT 대기질 측정망", seoul("2026-11-20 12:00"))

    run = digest_run(frequency="daily", now=seoul("2026-11-21 07:00"))

    assert run.members == 1 and [m.to for m in mail.outbox] == [[daily.user.email]]
    assert not Digest.objects.filter(member__in=[weekly, off, inactive]).exists()


def test_the_preview_says_what_would_be_sent_and_why_and_writes_nothing(search_sqlite):
    member = digest_member()
    case = gyeonggi_iot_case("IoT 대기질 측정망", seoul("2026-11-20 12:00"))

    plan = digest_preview(member=member, now=seoul("2026-11-21 08:00"))

    assert (plan.frequency, plan.period_start, plan.period_end) == ("daily", seoul("2026-11-20 07:00"), seoul("2026-11-21 07:00"))
    [entry] = plan.entries
    assert entry.key == f"case:{case.pk}"
    assert Reason(code="technology", value="iot", label="IoT") in entry.reasons
    assert not Digest.objects.exists() and not DigestRun.objects.exists()

    digest_run(frequency="daily", now=seoul("2026-11-21 08:00"))
    assert digest_preview(member=member, now=seoul("2026-11-21 08:00")).entries == []  # sent: never again


def test_newest_and_most_relevant_first_at_most_twenty(search_sqlite):
    member = digest_member()
    for hour in range(22):
        gyeonggi_iot_case(f"IoT 대기 센서 {hour:02d}시", seoul("2026-11-20 08:00") + datetime.timedelta(hours=hour))

    [plan] = digest_plans(members=[member], frequency="daily", now=seoul("2026-11-21 07:00")).values()

    titles = [entry.title for entry in plan.entries]
    assert len(titles) == 20
    assert titles[0] == "IoT 대기 센서 21시" and "IoT 대기 센서 00시" not in titles  # equally relevant: newest first


# The e-mail --------------------------------------------------------------------------------------------------------


def test_the_email_shows_each_item_with_place_type_reasons_and_link_and_can_be_unsubscribed(search_sqlite):
    member = digest_member()
    case = gyeonggi_iot_case("IoT 대기질 측정망", seoul("2026-11-20 12:00"))

    digest_run(frequency="daily", now=seoul("2026-11-21 07:00"))

    [message] = mail.outbox
    html = message.alternatives[0].content
    assert message.alternatives[0].mimetype == "text/html"
    assert "1건" in message.subject
    reason = Reason(code="technology", value="iot", label="IoT").text
    for body in (message.body, html):
        assert case.title in body and "수원시" in body and "사례" in body
        assert reason in body
        assert f"{BASE_URL}{case.url}" in body
        assert f"{BASE_URL}/accounts/settings/#interests" in body
    unsubscribe = message.extra_headers["List-Unsubscribe"]
    assert unsubscribe.startswith(f"<{BASE_URL}/accounts/unsubscribe/") and unsubscribe.endswith("/>")
    assert unsubscribe[1:-1] in message.body and unsubscribe[1:-1] in html
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    digest = digest_of(member, seoul("2026-11-20 07:00"))
    assert digest.status == Digest.Status.SENT and digest.message_id == message.extra_headers["Message-ID"]
    # Sent again (the crash gap of the README), it is recognisably the same message.
    assert digest_message(digest=digest).extra_headers["Message-ID"] == digest.message_id


def test_a_member_whose_language_is_english_gets_english_labels(search_sqlite):
    digest_member(language="en")
    gyeonggi_iot_case("IoT 대기질 측정망", seoul("2026-11-20 12:00"))

    digest_run(frequency="daily", now=seoul("2026-11-21 07:00"))

    [message] = mail.outbox
    html = message.alternatives[0].content
    assert '<html lang="en">' in html and "Gachi Hub" in html
    for body in (message.body, html):
        assert "Suwon-si" in body and "수원시" not in body
        assert "Case studies" in body
        assert "Matches your technology IoT" in body and "Unsubscribe from digests" in body
    assert message.subject == "[Gachi Hub] 1 new item today"
    # The digest was written in English, and the Korean default of the thread is back afterwards.
    assert Digest.objects.get().language == "en"


def test_a_group_entry_shows_its_count(search_sqlite):
    member = digest_member()
    start, end = seoul("2026-11-20 07:00"), seoul("2026-11-21 07:00")
    from hub.matching import MatchEntry

    group = MatchEntry(
        key="community_activity:7",
        type="community_activity",
        title="IoT 실무자 모임",
        url="/communities/iot/",
        region="",
        municipality="",
        summary="",
        published_at=start + datetime.timedelta(hours=3),
        score=4.0,
        reasons=[Reason(code="follow_community", value="7", label="IoT 실무자 모임")],
        count=3,
        document_ids=("post:1", "post:2", "post:3"),
    )
    digest = digest_build(member=member, plan=DigestPlan(frequency="daily", period_start=start, period_end=end, entries=[group]))
    assert set(DigestSentItem.objects.filter(digest=digest).values_list("document_id", flat=True)) == {"post:1", "post:2", "post:3"}

    digest_run(frequency="daily", now=end)  # sends the stored digest

    [message] = mail.outbox
    assert "새 글 3건" in message.body and "새 글 3건" in message.alternatives[0].content


# Sending: crashes, failures, bounces -------------------------------------------------------------------------------


def test_a_digest_built_but_not_sent_is_sent_from_its_stored_items(search_sqlite):
    member = digest_member()
    first = gyeonggi_iot_case("IoT 대기질 측정망", seoul("2026-11-20 12:00"))
    now = seoul("2026-11-21 07:00")
    # The run that crashed: it built the digest, then died before sending it.
    plan = digest_plans(members=[member], frequency="daily", now=now)[member.pk]
    built = digest_build(member=member, plan=plan)
    assert built.status == Digest.Status.PENDING and mail.outbox == []
    # Published in the same period after the crash's build: the stored digest is what goes out, unchanged.
    later = gyeonggi_iot_case("IoT 미세먼지 지도", seoul("2026-11-20 18:00"))

    run = digest_run(frequency="daily", now=now)

    assert run.sent == 1
    [message] = mail.outbox
    assert first.title in message.body and later.title not in message.body
    assert Digest.objects.get().status == Digest.Status.SENT


def test_a_refused_recipient_bounces_and_is_not_tried_again(search_sqlite, settings):
    refused = digest_member(email="gone@jeju.example")
    fine = digest_member(email="here@jeju.example")
    gyeonggi_iot_case("IoT 대기질 측정망", seoul("2026-11-20 12:00"))
    with MailServer(refuse=["gone@jeju.example"]) as server:
        use_mail_server(settings, server)
        run = digest_run(frequency="daily", now=seoul("2026-11-21 07:00"))
        assert (run.sent, run.failed) == (1, 1)
        bounced = Digest.objects.get(member=refused)
        assert bounced.status == Digest.Status.BOUNCED and "550" in bounced.error and "gone@jeju.example" in bounced.error
        assert Digest.objects.get(member=fine).status == Digest.Status.SENT

        rerun = digest_run(frequency="daily", now=seoul("2026-11-21 08:00"))
        assert (rerun.sent, rerun.failed) == (0, 0)
        assert [str(m["To"]) for m in server.messages] == ["here@jeju.example"]


def test_a_failed_send_keeps_the_error_and_the_next_run_sends_it(search_sqlite, settings):
    member = digest_member()
    case = gyeonggi_iot_case("IoT 대기질 측정망", seoul("2026-11-20 12:00"))
    with MailServer(fail_data=1) as server:
        use_mail_server(settings, server)
        run = digest_run(frequency="daily", now=seoul("2026-11-21 07:00"))
        failed = Digest.objects.get()
        assert (run.sent, run.failed) == (0, 1)
        assert failed.status == Digest.Status.FAILED and "451" in failed.error and failed.attempts == 1

        # The next scheduled run (a day later) still sends yesterday's digest, and today's is empty.
        retry = digest_run(frequency="daily", now=seoul("2026-11-22 07:00"))
        assert (retry.sent, retry.empty) == (1, 1)
        [message] = server.to(member.user.email)
        assert case.title in message.get_body(("plain",)).get_content()
    sent = Digest.objects.get(period_start=seoul("2026-11-20 07:00"))
    assert (sent.status, sent.error, sent.attempts) == (Digest.Status.SENT, "", 2)


def test_an_unreachable_mail_server_stops_the_run_and_keeps_the_digests_to_send(search_sqlite, settings):
    digest_member()
    gyeonggi_iot_case("IoT 대기질 측정망", seoul("2026-11-20 12:00"))
    with MailServer() as server:
        use_mail_server(settings, server)
        port = server.port
    settings.EMAIL_PORT = port  # the server is gone: nothing listens there now

    with pytest.raises(OSError):
        digest_run(frequency="daily", now=seoul("2026-11-21 07:00"))
    assert Digest.objects.get().status == Digest.Status.PENDING
    assert DigestRun.objects.get().finished_at is None

    with MailServer() as server:
        use_mail_server(settings, server)
        run = digest_run(frequency="daily", now=seoul("2026-11-21 07:05"))
        assert run.sent == 1 and len(server.messages) == 1


def test_the_task_runs_the_digests(search_sqlite):
    digest_member()
    gyeonggi_iot_case("IoT 대기질 측정망", seoul("2026-11-20 12:00"))
    result = digest_run_task.apply(kwargs={"frequency": "daily", "now": "2026-11-21T07:00:00+09:00"}).get()
    assert (result["members"], result["sent"]) == (1, 1) and len(mail.outbox) == 1


# Unsubscribing -----------------------------------------------------------------------------------------------------


def unsubscribe_url(member) -> str:
    return f"/accounts/unsubscribe/{digest_unsubscribe_token(member=member)}/"


def frequency_of(member) -> str:
    return MemberInterests.objects.get(member=member).digest_frequency


def test_opening_the_unsubscribe_link_only_asks():
    member = digest_member()
    response = Client().get(unsubscribe_url(member))
    assert response.status_code == 200
    assert "수신 거부" in response.text and "<form" in response.text and 'method="post"' in response.text
    assert member.user.email in response.text
    assert frequency_of(member) == "daily"


def test_the_one_click_post_unsubscribes_without_a_csrf_token():
    member = digest_member()
    client = Client(enforce_csrf_checks=True)
    response = client.post(unsubscribe_url(member), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and frequency_of(member) == "off"
    again = client.post(unsubscribe_url(member), {"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200 and "이미" in again.text


def test_a_forged_or_broken_token_is_refused_with_a_clear_message():
    member = digest_member()
    forged = signing.dumps(member.pk, salt="someone.else")
    for token in (forged, "not-a-token", digest_unsubscribe_token(member=member)[:-2] + "xx"):
        for method in ("get", "post"):
            response = getattr(Client(), method)(f"/accounts/unsubscribe/{token}/")
            assert response.status_code == 400, (token, method)
            assert "링크" in response.text
    gone = make_user()
    token = signing.dumps(gone.member.pk, salt=UNSUBSCRIBE_SALT)
    gone.delete()
    assert Client().post(f"/accounts/unsubscribe/{token}/").status_code == 400
    assert frequency_of(member) == "daily"


def test_the_unsubscribe_page_speaks_the_members_language():
    member = digest_member(language="en")
    response = Client().get(unsubscribe_url(member))
    assert response.status_code == 200 and '<html lang="en"' in response.text


def test_a_member_who_unsubscribed_after_the_build_gets_nothing(search_sqlite):
    member = digest_member()
    gyeonggi_iot_case("IoT 대기질 측정망", seoul("2026-11-20 12:00"))
    now = seoul("2026-11-21 07:00")
    digest_build(member=member, plan=digest_plans(members=[member], frequency="daily", now=now)[member.pk])
    Client().post(unsubscribe_url(member))

    run = digest_run(frequency="daily", now=now)

    assert (run.sent, run.unsubscribed) == (0, 1) and mail.outbox == []
    assert not Digest.objects.exists() and not DigestSentItem.objects.exists()  # nothing of it was sent


def test_the_received_header_unsubscribes(search_sqlite, settings):
    member = digest_member()
    gyeonggi_iot_case("IoT 대기질 측정망", seoul("2026-11-20 12:00"))
    with MailServer() as server:
        use_mail_server(settings, server)
        digest_run(frequency="daily", now=seoul("2026-11-21 07:00"))
        [message] = server.messages
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert Client(enforce_csrf_checks=True).post(unsubscribe_path(message), {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert frequency_of(member) == "off"
    assert DigestItem.objects.count() == 1
