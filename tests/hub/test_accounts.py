import pytest
from django.core import mail
from django.urls import reverse

from hub.models import Member, Place
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def signup_data(**overrides):
    data = {
        "email": "New.Official@Suwon.example",
        "name": "김수원",
        "place": Place.objects.get(code="41110").pk,
        "organisation": "수원시 스마트정책과",
        "job_title": "주무관",
        "language": "ko",
        "password1": "수원-스마트-2026",
        "password2": "수원-스마트-2026",
    }
    data.update(overrides)
    return data


def test_signup_creates_a_pending_member_and_tells_curators(client, django_capture_on_commit_callbacks):
    from hub.tasks import member_registered_notify_task

    curator = make_user(role="curator", place_code="11000")
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(reverse("hub:signup"), signup_data())
    assert response.status_code == 302 and len(queued) == 1
    member = Member.objects.get(user__email="new.official@suwon.example")
    assert not member.is_approved and member.place.full_name == "경기도 수원시"
    member_registered_notify_task(member.pk)
    assert [m.to for m in mail.outbox] == [[curator.email]]
    assert "김수원" in mail.outbox[0].body


def test_pending_member_cannot_write(client):
    client.post(reverse("hub:signup"), signup_data())
    from tests.factories import make_case

    case = make_case(place_code="41110")
    assert client.get(f"{case.url}logs/new/").status_code == 403


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"password2": "다른-비밀번호-99"}, "비밀번호가 서로 다릅니다"),
        ({"place": "999999"}, "올바르게 선택"),
        ({"email": "not-an-email"}, "이메일"),
    ],
)
def test_signup_errors_are_shown_on_the_form(client, overrides, message):
    response = client.post(reverse("hub:signup"), signup_data(**overrides))
    assert response.status_code == 200 and message in response.content.decode()
    assert not Member.objects.exists()


def test_duplicate_email_is_refused(client):
    make_user(email="taken@test.example")
    response = client.post(reverse("hub:signup"), signup_data(email="TAKEN@test.example"))
    assert "이미 가입된 이메일" in response.content.decode()


def test_signup_form_groups_places_by_province(client):
    html = client.get(reverse("hub:signup")).content.decode()
    assert '<optgroup label="대구광역시">' in html and "대구광역시 군위군" in html


def test_settings_change_language_and_profile(client):
    user = make_user(role="official")
    client.force_login(user)
    response = client.post(
        reverse("hub:settings"),
        {"name": "새 이름", "language": "en", "organisation": "정보화담당관", "job_title": "팀장", "bio": "**AI** 담당"},
    )
    assert response.status_code == 302
    user.member.refresh_from_db()
    assert user.member.language == "en"
    page = client.get(reverse("hub:profile", args=[user.pk])).content.decode()
    assert "새 이름" in page and "<strong>AI</strong>" in page
    assert '<html lang="en">' in client.get("/").content.decode()


def test_approval_email_goes_to_the_member(django_capture_on_commit_callbacks):
    from hub.services import member_approve
    from hub.tasks import member_approved_notify_task

    curator, pending = make_user(role="curator"), make_user(role="pending")
    with django_capture_on_commit_callbacks() as queued:
        member_approve(member=pending.member, approved_by=curator)
    assert len(queued) == 1
    member_approved_notify_task(pending.member.pk)
    assert mail.outbox[-1].to == [pending.email] and "승인" in mail.outbox[-1].subject


def test_markdown_preview_is_sanitised_and_for_members_only(client):
    assert client.post(reverse("markdown_preview"), {"text": "x"}).status_code == 403
    client.force_login(make_user())
    response = client.post(reverse("markdown_preview"), {"text": "**굵게** <script>alert(1)</script>"})
    assert (
        response.status_code == 200 and "<strong>굵게</strong>" in response.content.decode() and "<script>" not in response.content.decode()
    )
    assert client.post(reverse("markdown_preview"), {"text": "x" * 60_000}).status_code == 400
