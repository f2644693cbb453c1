"""`manage.py import_members`: approved accounts from JSON or CSV, all rows or none, idempotent by e-mail, and a
set-password e-mail whose link works."""

import io
import json
import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from hub.models import Member, MemberInterests
from hub.tasks import member_invite_send_task
from tests.factories import make_case, make_user

pytestmark = pytest.mark.django_db

OFFICIAL = {
    "email": "Park.Jung@Busan.example",
    "name": "박중구",
    "place": "부산광역시 중구",
    "organisation": "중구청 스마트도시과",
    "role": "official",
    "interests": {
        "sectors": ["환경", "safety"],
        "technologies": ["IoT", "빅데이터"],
        "tags": ["미세먼지"],
        "places": ["경기도", "41130", "해운대구"],
        "keywords": ["대기질 센서", "어린이 보호구역"],
    },
    "frequency": "daily",
}
CURATOR = {"email": "choi@agency.example", "name": "최큐레", "place": "11000", "organisation": "한국지역정보개발원", "role": "curator"}
LINK = re.compile(r"https?://\S+/accounts/password/set/\S+/")


def run(path, *options) -> str:
    out = io.StringIO()
    call_command("import_members", str(path), *options, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def refused(path, *options) -> list[str]:
    """The command's error lines; it must exit with status 1."""
    err = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("import_members", str(path), *options, stdout=io.StringIO(), stderr=err)
    assert failure.value.returncode == 1 and "nothing was imported" in str(failure.value)
    return err.getvalue().splitlines()


def write_json(tmp_path, records, name="members.json"):
    path = tmp_path / name
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return path


def accounts() -> int:
    return get_user_model().objects.count()


# Creating and updating ---------------------------------------------------------------------------------------------


def test_json_import_creates_approved_members_with_roles_interests_and_one_invitation_each(tmp_path, django_capture_on_commit_callbacks):
    path = write_json(tmp_path, [OFFICIAL, CURATOR])
    with django_capture_on_commit_callbacks() as queued:
        output = run(path)
    assert "created 2, updated 0, unchanged 0 member(s); set-password e-mails queued: 2" in output
    assert len(queued) == 2

    official = Member.objects.select_related("user", "place").get(user__email="park.jung@busan.example")
    assert official.is_approved and official.approved_at and official.place.code == "26110"
    assert official.user.username == "park.jung@busan.example" and official.display_name == "박중구"
    assert not official.user.has_usable_password()
    assert set(official.user.groups.values_list("name", flat=True)) == {"official"}
    interests = official.interests
    assert {s.slug for s in interests.sectors.all()} == {"environment", "safety"}
    assert {t.slug for t in interests.technologies.all()} == {"iot", "big-data"}
    assert {p.code for p in interests.places.all()} == {"41000", "41130", "26350"}
    assert interests.tags == ["미세먼지"] and interests.keywords == ["대기질 센서", "어린이 보호구역"]
    assert interests.digest_frequency == "daily"

    curator = Member.objects.get(user__email="choi@agency.example")
    assert curator.place.code == "11000" and set(curator.user.groups.values_list("name", flat=True)) == {"curator"}
    # No interests in the file: the sign-up defaults (own 시도, weekly).
    assert [p.code for p in curator.interests.places.all()] == ["11000"] and curator.interests.digest_frequency == "weekly"


def test_csv_import_with_interest_columns(tmp_path):
    make_case(place_code="41130", sector="tourism", technologies=("metaverse",))
    path = tmp_path / "members.csv"
    path.write_text(
        "\ufeffemail,name,place,organisation,role,sectors,technologies,tags,places,keywords,frequency\n"
        "lee@seongnam.example,이성남,성남시,정보통신과,official,환경;안전,IoT,,부산광역시 중구;41000,스마트 횡단보도,weekly\n"
        "kang@gyeonggi.example,강경기,경기도,디지털정책과,official,,,,,,off\n",
        encoding="utf-8",
    )
    assert "created 2" in run(path)
    lee = MemberInterests.objects.get(member__user__email="lee@seongnam.example")
    assert lee.member.place.full_name == "경기도 성남시"
    assert {s.slug for s in lee.sectors.all()} == {"environment", "safety"}
    assert {p.code for p in lee.places.all()} == {"26110", "41000"} and lee.keywords == ["스마트 횡단보도"]
    kang = MemberInterests.objects.get(member__user__email="kang@gyeonggi.example")
    # Empty interest columns are empty interests; the frequency column still applies.
    assert kang.member.place.code == "41000" and kang.digest_frequency == "off" and not kang.places.exists()


def test_re_running_is_idempotent_and_an_edited_row_updates_the_same_account(tmp_path, django_capture_on_commit_callbacks):
    path = write_json(tmp_path, [OFFICIAL, CURATOR])
    run(path)
    before = accounts()

    with django_capture_on_commit_callbacks() as queued:
        output = run(path)
    assert "created 0, updated 0, unchanged 2 member(s); set-password e-mails queued: 0" in output
    assert queued == [] and accounts() == before

    edited = {**OFFICIAL, "email": "PARK.JUNG@busan.example", "organisation": "중구청 정보화팀", "frequency": "weekly"}
    with django_capture_on_commit_callbacks() as queued:
        output = run(write_json(tmp_path, [edited, CURATOR], "edited.json"))
    assert "created 0, updated 1, unchanged 1" in output and queued == [] and accounts() == before
    member = Member.objects.get(user__username="park.jung@busan.example")
    assert member.organisation == "중구청 정보화팀" and member.interests.digest_frequency == "weekly"

    # --resend: a new set-password e-mail for listed accounts still without a password, and only for them.
    curator = get_user_model().objects.get(email="choi@agency.example")
    curator.set_password("큐레이터-비밀번호-2026")
    curator.save()
    with django_capture_on_commit_callbacks() as queued:
        output = run(path, "--resend")
    assert "set-password e-mails queued: 1" in output and len(queued) == 1


def test_an_existing_pending_sign_up_is_approved_and_given_the_files_role(tmp_path):
    user = make_user(role="pending", email="park.jung@busan.example", place_code="11110")
    run(write_json(tmp_path, [OFFICIAL]))
    member = Member.objects.get(user=user)
    assert member.is_approved and member.place.code == "26110" and user.groups.filter(name="official").exists()
    assert Member.objects.filter(user__username="park.jung@busan.example").count() == 1


def test_dry_run_writes_and_sends_nothing(tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        output = run(write_json(tmp_path, [OFFICIAL, CURATOR]), "--dry-run")
    assert "would create 2" in output and "dry run: nothing written" in output
    assert queued == [] and not Member.objects.filter(user__email__in=["park.jung@busan.example", "choi@agency.example"]).exists()


# Refusing ----------------------------------------------------------------------------------------------------------


def test_a_bare_name_in_several_provinces_names_the_row_and_field(tmp_path):
    lines = refused(write_json(tmp_path, [CURATOR, {**OFFICIAL, "place": "중구"}]))
    assert len(lines) == 1
    assert lines[0].startswith("row 2 (email=park.jung@busan.example), field 'place': ‘중구’는 여러 시도에 있습니다")
    assert "서울특별시, 부산광역시, 대구광역시, 인천광역시, 대전광역시, 울산광역시" in lines[0]
    assert "‘서울특별시 중구’처럼 시도와 함께 쓰세요" in lines[0]
    # All or nothing: the valid curator row was not imported either.
    assert not get_user_model().objects.filter(email="choi@agency.example").exists()


def test_every_problem_is_one_line_naming_row_and_field_and_nothing_is_written(tmp_path):
    rows = [
        OFFICIAL,
        {**CURATOR, "email": "not-an-email", "role": "mayor"},
        {**CURATOR, "email": "x@agency.example", "place": "서울특별시 해운대구", "frequency": "hourly", "extra": 1},
        {
            **CURATOR,
            "email": "y@agency.example",
            "interests": {"sectors": ["교통"], "keywords": ["가" * 41], "places": ["중구"], "colour": "blue"},
        },
        {**OFFICIAL, "email": "park.jung@BUSAN.example"},
        {"email": "z@agency.example"},
    ]
    lines = refused(write_json(tmp_path, rows))
    expected = [
        "row 2 (email=not-an-email), field 'email': not an e-mail address",
        "row 2 (email=not-an-email), field 'role': 'mayor' is not one of official, curator",
        "row 3 (email=x@agency.example), field 'extra': unknown field",
        "row 3 (email=x@agency.example), field 'frequency': 'hourly' is not one of off, daily, weekly",
        "row 3 (email=x@agency.example), field 'place': ‘해운대구’는 서울특별시의 시군구가 아닙니다",
        "row 4 (email=y@agency.example), field 'interests.colour': unknown key",
        "row 4 (email=y@agency.example), field 'interests.sectors': unknown value '교통'",
        "row 4 (email=y@agency.example), field 'interests.places': ‘중구’는 여러 시도에 있습니다",
        "row 4 (email=y@agency.example), field 'interests.keywords': 키워드 ‘" + "가" * 41 + "’: 1~40자로 써 주세요",
        "row 5 (email=park.jung@busan.example), field 'email': duplicate e-mail; row 1 has it already",
        "row 6 (email=z@agency.example), field 'name': missing",
        "row 6 (email=z@agency.example), field 'place': missing",
        "row 6 (email=z@agency.example), field 'organisation': missing",
        "row 6 (email=z@agency.example), field 'role': missing",
    ]
    for start in expected:
        assert sum(line.startswith(start) for line in lines) == 1, (start, lines)
    assert len(lines) == len(expected)
    assert not Member.objects.exists()


def test_csv_rows_are_numbered_as_a_spreadsheet_shows_them(tmp_path):
    path = tmp_path / "members.csv"
    path.write_text(
        "email,name,place,organisation,role\nok@busan.example,김부산,부산광역시,시민소통과,official\nbad@busan.example,이중구,중구,중구청,official\n",
        encoding="utf-8",
    )
    assert refused(path) == [
        "row 3 (email=bad@busan.example), field 'place': ‘중구’는 여러 시도에 있습니다(서울특별시, 부산광역시, 대구광역시, 인천광역시, "
        "대전광역시, 울산광역시). ‘서울특별시 중구’처럼 시도와 함께 쓰세요."
    ]


def test_unreadable_files_and_staff_accounts_are_refused(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"email": ', encoding="utf-8")
    with pytest.raises(CommandError, match="invalid JSON"):
        call_command("import_members", str(broken))
    assert refused(write_json(tmp_path, [])) == ["row 0, field '(file)': no records"]
    get_user_model().objects.create_superuser("admin@agency.example", "admin@agency.example", "pw-2026-long!")
    assert refused(write_json(tmp_path, [{**CURATOR, "email": "admin@agency.example"}])) == [
        "row 1 (email=admin@agency.example), field 'email': belongs to an account without a member profile (a staff account)"
    ]


# The set-password e-mail -------------------------------------------------------------------------------------------


def test_the_set_password_link_works_once(client, tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        run(write_json(tmp_path, [OFFICIAL]))
    member = Member.objects.get(user__email="park.jung@busan.example")
    member_invite_send_task(member.pk)
    [message] = mail.outbox
    assert message.to == ["park.jung@busan.example"] and "비밀번호를 정해 주세요" in message.subject
    assert "박중구 님, 가치허브 계정이 만들어졌습니다." in message.body and "부산광역시 중구" in message.body
    link = LINK.search(message.body).group()

    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200 and "park.jung@busan.example 계정의 비밀번호를 정해 주세요" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": "중구-스마트-2026!", "new_password2": "중구-스마트-2026!"}, follow=True)
    assert "비밀번호를 정했습니다" in done.content.decode()
    assert client.get("/accounts/settings/").status_code == 200  # signed in by setting it

    client.logout()
    assert client.login(username="park.jung@busan.example", password="중구-스마트-2026!")
    client.logout()
    assert "이미 쓰였거나 기한이 지났습니다" in client.get(link, follow=True).content.decode()
    member_invite_send_task(member.pk)  # a retry after the password is set sends no stale link
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_invitation_goes_through_the_worker_to_smtp_once(client, tmp_path, redis_worker, settings, smtp_server):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    path = write_json(tmp_path, [{**OFFICIAL, "interests": None}])
    run(path)
    deadline = time.monotonic() + 15
    while not smtp_server.messages and time.monotonic() < deadline:
        time.sleep(0.1)
    [message] = smtp_server.messages
    assert message["To"] == "park.jung@busan.example"
    run(path)  # the re-run queues nothing; a stray e-mail would arrive well within the wait for the first one
    time.sleep(1.5)
    assert len(smtp_server.messages) == 1

    link = LINK.search(message.get_content()).group()
    set_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(set_url, {"new_password1": "중구-스마트-2026!", "new_password2": "중구-스마트-2026!"})
    assert client.login(username="park.jung@busan.example", password="중구-스마트-2026!")
