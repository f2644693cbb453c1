import pytest
from django.urls import reverse

from cases.models import CaseStudyPage, ProjectLogEntry, Stage
from tests.factories import make_case, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def official():
    return make_user(role="official", place_code="41110")


@pytest.fixture
def case():
    return make_case(place_code="41110", stage="pilot")


def test_official_writes_a_log_entry_that_shows_on_the_timeline(client, official, case):
    client.force_login(official)
    response = client.post(
        f"{case.url}logs/new/", {"date": "2026-03-02", "kind": "milestone", "title": "1단계 완료", "body": "교차로 **12곳** 적용"}
    )
    entry = ProjectLogEntry.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"#log-{entry.pk}")
    page = client.get(case.url).content.decode()
    assert "1단계 완료" in page and "<strong>12곳</strong>" in page and f'id="log-{entry.pk}"' in page


def test_stage_change_moves_the_case_and_the_editor_keeps_it(client, official, case):
    client.force_login(official)
    operation = Stage.objects.get(slug="operation")
    client.post(f"{case.url}logs/new/", {"date": "2026-04-01", "kind": "stage_change", "title": "본사업 전환", "new_stage": operation.pk})
    case = CaseStudyPage.objects.get(pk=case.pk)
    assert case.stage == operation
    assert case.get_latest_revision_as_object().stage == operation
    entry = ProjectLogEntry.objects.get()
    assert entry.previous_stage.slug == "pilot" and entry.new_stage == operation


def test_stage_change_without_a_stage_is_a_form_error(client, official, case):
    client.force_login(official)
    response = client.post(f"{case.url}logs/new/", {"date": "2026-04-01", "kind": "stage_change", "title": "전환"})
    assert response.status_code == 200 and "새 단계를 골라 주세요" in response.content.decode()
    assert not ProjectLogEntry.objects.exists()


@pytest.mark.parametrize(
    "data", [{"date": "not-a-date", "kind": "progress", "title": "x"}, {"date": "2026-01-01", "kind": "nope", "title": "x"}, {}]
)
def test_bad_input_is_a_form_error_not_a_500(client, official, case, data):
    client.force_login(official)
    assert client.post(f"{case.url}logs/new/", data).status_code == 200
    assert not ProjectLogEntry.objects.exists()


def test_only_the_author_edits_and_deletes(client, official, case):
    from cases.services import log_entry_create

    entry = log_entry_create(case=case, author=official, date="2026-01-05", kind="progress", title="착수")
    colleague = make_user(role="official", place_code="41110")
    client.force_login(colleague)
    assert client.get(f"{case.url}logs/{entry.pk}/edit/").status_code == 403
    assert client.post(f"{case.url}logs/{entry.pk}/delete/").status_code == 403
    client.force_login(official)
    assert (
        client.post(f"{case.url}logs/{entry.pk}/edit/", {"date": "2026-01-05", "kind": "progress", "title": "착수 보고"}).status_code == 302
    )
    entry.refresh_from_db()
    assert entry.title == "착수 보고"
    assert client.post(f"{case.url}logs/{entry.pk}/delete/").status_code == 302
    assert not ProjectLogEntry.objects.exists()


def test_log_of_another_case_is_404(client, official, case):
    from cases.services import log_entry_create

    other = make_case(place_code="41110")
    entry = log_entry_create(case=other, author=official, date="2026-01-05", kind="progress", title="착수")
    client.force_login(official)
    assert client.get(f"{case.url}logs/{entry.pk}/edit/").status_code == 404


def test_log_feed_hides_entries_of_members_only_cases_from_the_public(client, official):
    from cases.services import log_entry_create

    public, private = make_case(place_code="41110"), make_case(place_code="41110", visibility="members")
    log_entry_create(case=public, author=official, date="2026-01-05", kind="progress", title="공개 로그")
    log_entry_create(case=private, author=official, date="2026-01-06", kind="progress", title="회원 로그")
    anonymous = client.get(reverse("cases:log_feed")).content.decode()
    assert "공개 로그" in anonymous and "회원 로그" not in anonymous
    atom = client.get(reverse("cases:log_feed_atom")).content.decode()
    assert "공개 로그" in atom and "회원 로그" not in atom
    client.force_login(official)
    assert "회원 로그" in client.get(reverse("cases:log_feed")).content.decode()


def test_case_page_query_count_is_bounded(client, official, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cases.services import log_entry_create

    case = make_case(place_code="41110")

    def queries_for_page():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(case.url).status_code == 200
        return len(captured)

    client.force_login(official)
    client.get(case.url)  # warm the site and session caches
    for n in range(3):
        log_entry_create(case=case, author=official, date=f"2026-01-{n + 1:02d}", kind="progress", title=f"로그 {n}")
    few = queries_for_page()
    for n in range(3, 40):
        log_entry_create(case=case, author=official, date="2026-02-01", kind="progress", title=f"로그 {n}")
    many = queries_for_page()
    assert many == few, f"case page: {few} queries with 3 logs, {many} with 40"
    # The bound grows with what the page shows, never with the logs: +2 for the case's awards and its review notice.
    with django_assert_max_num_queries(37):
        client.get(case.url)


def test_members_only_lessons_are_hidden_from_the_public(client):
    case = make_case(place_code="41110", lessons="센서 배터리 수명을 과대평가했습니다.", lessons_visibility="members")
    assert "센서 배터리" not in client.get(case.url).content.decode()
    client.force_login(make_user(role="member"))
    assert "센서 배터리" in client.get(case.url).content.decode()
