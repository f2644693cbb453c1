"""The curators' review of cases through the real Wagtail admin (submit → request changes → resubmit → publish, with
the author's e-mails), the publish rule for officials, and curation: featured cases and awards, shown as badges and
filterable in search on both backends."""

import json

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, Group
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from wagtail.models import GroupPagePermission, Page, WorkflowPage, WorkflowState

from cases.models import Award, CaseAward, CaseIndexPage, CaseStudyPage, ShowcaseIndexPage, ShowcasePage
from cases.services import REVIEW_WORKFLOW_NAME, case_award_give, case_award_revoke, case_feature_set, review_workflow_ensure
from hub.celery import app
from hub.models.members import CURATOR_GROUP, OFFICIAL_GROUP
from search.models import IndexOutboxEntry
from search.service import SearchFilters, SearchParameterError, SearchRequest, search
from tests.factories import make_case, make_user
from tests.hub.test_pii import admin_form_data
from tests.search_helpers import index_now

pytestmark = pytest.mark.django_db

COMMENT = "성과 지표 ‘대기시간 23% 감소’의 측정 기간과 출처를 밝혀 주세요."


@pytest.fixture
def official():
    return make_user(role="official", place_code="41110", name="한수원")


@pytest.fixture
def curator():
    return make_user(role="curator", place_code="11000", name="정미래")


@pytest.fixture
def case(official):
    case = make_case(place_code="41110", title="수원 스마트 교차로", summary="AI 신호로 대기시간을 줄였습니다.")
    case.owner = official
    case.save(update_fields=["owner"])
    return case


@pytest.fixture
def eager_tasks():
    """Celery tasks queued after commit run in this process at once (the test broker is memory://, with no worker)."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def edit_url(case) -> str:
    return f"/admin/pages/{case.pk}/edit/"


def edit_case(client, case, **changes):
    return client.post(edit_url(case), admin_form_data(client, edit_url(case), "page-edit-form", **changes))


def mails_to(user) -> list:
    return [message for message in mail.outbox if message.to == [user.email]]


def review_state(case) -> WorkflowState:
    return WorkflowState.objects.for_instance(case).order_by("-created_at").first()


# The workflow --------------------------------------------------------------------------------------------------------


def test_submit_request_changes_resubmit_publish_with_the_author_told(
    client, official, curator, case, eager_tasks, search_sqlite, django_capture_on_commit_callbacks
):
    client.force_login(official)
    with django_capture_on_commit_callbacks(execute=True):
        response = edit_case(client, case, summary="AI 신호로 대기시간을 23% 줄였습니다.", **{"action-submit": "action-submit"})
    assert response.status_code == 302
    state = review_state(case)
    assert (state.workflow.name, state.status, state.requested_by) == (REVIEW_WORKFLOW_NAME, WorkflowState.STATUS_IN_PROGRESS, official)
    assert CaseStudyPage.objects.get(pk=case.pk).summary == "AI 신호로 대기시간을 줄였습니다."  # live until approved
    assert "큐레이터가 제출된 수정본을 검토하고 있습니다" in client.get(case.url).content.decode()

    client.force_login(curator)
    editor = client.get(edit_url(case)).content.decode()
    assert 'data-workflow-action-name="reject"' in editor and 'data-workflow-action-name="approve"' in editor
    with django_capture_on_commit_callbacks(execute=True):
        response = edit_case(
            client,
            case,
            **{
                "action-workflow-action": "true",
                "workflow-action-name": "reject",
                "workflow-action-extra-data": json.dumps({"comment": COMMENT}),
            },
        )
    assert response.status_code == 302
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_NEEDS_CHANGES and state.current_task_state.comment == COMMENT
    [changes_mail] = mails_to(official)  # ours only: Wagtail's own rejection notice is not sent next to it
    assert "수정 요청" in changes_mail.subject and "수원 스마트 교차로" in changes_mail.subject
    assert COMMENT in changes_mail.body and "정미래 큐레이터가" in changes_mail.body
    assert f"/admin/pages/{case.pk}/edit/" in changes_mail.body and "다시 제출" in changes_mail.body

    client.force_login(official)
    editor = client.get(edit_url(case)).content.decode()
    assert COMMENT in editor and 'name="action-submit"' in editor
    public = client.get(case.url).content.decode()
    assert "수정 요청" in public and COMMENT in public
    client.logout()
    assert COMMENT not in client.get(case.url).content.decode()  # only the case's own people see the review

    client.force_login(official)
    with django_capture_on_commit_callbacks(execute=True):
        response = edit_case(
            client, case, summary="AI 신호로 대기시간을 23% 줄였습니다(2024년 3~9월, 교통정보센터).", **{"action-submit": "action-submit"}
        )
    assert response.status_code == 302
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_IN_PROGRESS and review_state(case) == state  # resumed, not a new review
    assert len(mails_to(official)) == 1

    client.force_login(curator)
    task_state = CaseStudyPage.objects.get(pk=case.pk).current_workflow_task_state
    url = reverse("wagtailadmin_pages:workflow_action", args=[case.pk, "approve", task_state.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"comment": "출처까지 잘 밝혀 주셨습니다."})
    assert response.status_code == 302
    live = CaseStudyPage.objects.get(pk=case.pk)
    assert live.live and not live.has_unpublished_changes and "교통정보센터" in live.summary
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_APPROVED
    changes_mail, published_mail = mails_to(official)
    assert "게시되었습니다" in published_mail.subject and f"{settings.HUB_BASE_URL}{live.url}" in published_mail.body
    assert "출처까지 잘 밝혀 주셨습니다." in published_mail.body
    assert not [m for m in mails_to(curator) if "게시되었습니다" in m.subject]  # not the curator who approved
    # The approval published the case like any publish: its new text reaches the index through the outbox.
    index_now()
    hits = search(SearchRequest(text="교통정보센터"), viewer=AnonymousUser()).hits
    assert [hit.key for hit in hits] == [case.key]


def test_a_new_case_by_an_official_waits_for_the_curators_and_its_author_hears_when_it_is_live(
    client, official, curator, eager_tasks, search_sqlite, django_capture_on_commit_callbacks
):
    index = CaseIndexPage.objects.get()
    url = f"/admin/pages/add/cases/casestudypage/{index.pk}/"
    client.force_login(official)
    data = admin_form_data(
        client,
        url,
        "page-edit-form",
        title="새 공유 킥보드 주차구역",
        slug="kickboard",
        key="kickboard",
        summary="전동킥보드 주차구역",
        start_year="2025",
    )
    data.update(
        sector=[str(CaseStudyPage._meta.get_field("sector").related_model.objects.get(slug="urban-transport").pk)],
        stage=[str(CaseStudyPage._meta.get_field("stage").related_model.objects.get(slug="pilot").pk)],
        lead_place=[str(official.member.place_id)],
        **{"action-submit": ["action-submit"]},
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, data).status_code == 302
    case = CaseStudyPage.objects.get(key="kickboard")
    assert not case.live and review_state(case).status == WorkflowState.STATUS_IN_PROGRESS

    client.force_login(curator)
    task_state = case.current_workflow_task_state
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("wagtailadmin_pages:workflow_action", args=[case.pk, "approve", task_state.pk]), {"comment": ""})
    case.refresh_from_db()
    assert case.live
    [published] = mails_to(official)
    assert "새 공유 킥보드 주차구역" in published.subject and f"{settings.HUB_BASE_URL}{case.url}" in published.body


def test_officials_cannot_publish_or_unpublish_directly(client, official, curator, case):
    client.force_login(official)
    editor = client.get(edit_url(case)).content.decode()
    assert 'name="action-submit"' in editor and 'name="action-publish"' not in editor
    response = edit_case(client, case, summary="몰래 게시", **{"action-publish": "action-publish"})
    assert response.status_code == 302  # Wagtail keeps it as a draft
    live = CaseStudyPage.objects.get(pk=case.pk)
    assert live.summary != "몰래 게시" and live.has_unpublished_changes and review_state(case) is None
    for method in (client.get, client.post):  # Wagtail refuses with a redirect to the dashboard
        response = method(f"/admin/pages/{case.pk}/unpublish/")
        assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    assert CaseStudyPage.objects.get(pk=case.pk).live

    client.force_login(curator)
    assert 'name="action-publish"' in client.get(edit_url(case)).content.decode()


def test_the_review_workflow_is_set_up_once_and_officials_hold_no_publish_permission():
    index = CaseIndexPage.objects.get()
    official_group = Group.objects.get(name=OFFICIAL_GROUP)
    publish = GroupPagePermission.objects.filter(group=official_group, permission__codename="publish_page")
    # An older setup gave officials the publish permission; the ensure (and migration 0005) takes it back.
    GroupPagePermission.objects.create(group=official_group, page=index, permission_type="publish")
    first, second = review_workflow_ensure(), review_workflow_ensure()
    assert first == second and first.name == REVIEW_WORKFLOW_NAME
    assert WorkflowPage.objects.get(page=index).workflow == first and not publish.exists()
    [task] = [task.specific for task in first.tasks]
    assert list(task.groups.values_list("name", flat=True)) == [CURATOR_GROUP]
    assert make_case(publish=False).get_workflow() == first
    # Other sections keep Wagtail's own workflow: only cases go to the curators' review.
    assert ShowcaseIndexPage.objects.get().get_workflow() != first


def test_migration_0005_sets_the_workflow_up_with_its_historical_models():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    index = CaseIndexPage.objects.get()
    WorkflowPage.objects.filter(page=index).delete()
    historical = MigrationExecutor(connection).loader.project_state(("cases", "0005_review_workflow")).apps
    workflow = review_workflow_ensure(apps=historical)
    assert WorkflowPage.objects.get(page=index).workflow_id == workflow.pk
    assert Page.objects.get(pk=index.pk).specific.get_workflow().name == REVIEW_WORKFLOW_NAME


def test_other_pages_still_get_wagtails_own_notices(django_capture_on_commit_callbacks):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("admin@test.example", "admin@test.example", "x")
    editor = make_user(role="curator", email="showcase.editor@test.example")
    showcase = ShowcasePage(title="검토용 쇼케이스", slug="review-showcase", intro="소개")
    ShowcaseIndexPage.objects.get().add_child(instance=showcase)
    showcase.save_revision(user=editor)
    state = showcase.get_workflow().start(showcase, editor)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        state.current_task_state.specific.reject(user=admin, comment="다시")
    assert not queued  # nothing for our Celery tasks: Wagtail mails the submitter itself
    assert [m for m in mails_to(editor) if "검토용 쇼케이스" in m.subject or "검토용 쇼케이스" in m.body]


# Featured cases and awards -------------------------------------------------------------------------------------------


def curation_url(case) -> str:
    return reverse("cases_curation", args=[case.pk])


def test_only_curators_reach_the_curation_page(client, official, curator, case):
    assert client.get(curation_url(case)).status_code == 302  # to the admin login
    client.force_login(official)
    assert client.get(curation_url(case)).status_code == 403
    assert client.post(curation_url(case), {"action": "feature"}).status_code == 403
    assert curation_url(case) not in client.get(edit_url(case)).content.decode()
    assert not CaseStudyPage.objects.get(pk=case.pk).is_featured

    client.force_login(curator)
    assert curation_url(case) in client.get(edit_url(case)).content.decode()  # in the editor's header menu
    assert client.get(curation_url(case)).status_code == 200
    assert client.get(reverse("cases_curation", args=[CaseIndexPage.objects.get().pk])).status_code == 404


def test_curator_features_a_case_and_gives_an_award_shown_as_badges(client, curator, case):
    best = Award.objects.get(slug="best-practice")
    client.force_login(curator)
    response = client.post(curation_url(case), {"action": "feature"})
    assert response.status_code == 302
    featured = CaseStudyPage.objects.get(pk=case.pk)
    assert featured.is_featured and featured.featured_at is not None
    assert IndexOutboxEntry.objects.filter(doc_id=f"case:{case.pk}").exists()

    response = client.post(curation_url(case), {"action": "give", "award": best.pk, "year": "2025", "note": "2025 공모"})
    assert response.status_code == 302
    assert client.post(curation_url(case), {"action": "give", "award": best.pk, "year": "2025"}).status_code == 302
    [case_award] = CaseAward.objects.filter(case=case)
    assert (case_award.award, case_award.year, case_award.note, case_award.given_by) == (best, 2025, "2025 공모", curator)

    refused = client.post(curation_url(case), {"action": "give", "award": best.pk, "year": "1999"})
    assert refused.status_code == 200 and "2000" in refused.content.decode() and CaseAward.objects.count() == 1

    client.logout()
    page = client.get(case.url).content.decode()
    assert 'badge--featured">추천 사례' in page and 'badge--award">우수사례 2025' in page
    cards = client.get("/cases/").content.decode()
    assert 'badge--award">우수사례 2025' in cards and 'badge--featured">추천 사례' in cards

    client.force_login(curator)
    client.post(curation_url(case), {"action": "revoke", "case_award": case_award.pk})
    client.post(curation_url(case), {"action": "unfeature"})
    client.logout()
    page = client.get(case.url).content.decode()
    assert "badge--award" not in page and "badge--featured" not in page


def test_officials_cannot_feature_or_award_through_the_editor_or_the_services(client, official, case):
    client.force_login(official)
    response = edit_case(client, case, is_featured="on", featured_at="2026-01-01 00:00", **{"action-submit": "action-submit"})
    assert response.status_code == 302
    assert review_state(case).status == WorkflowState.STATUS_IN_PROGRESS
    assert not case.get_latest_revision_as_object().is_featured
    with pytest.raises(PermissionDenied):
        case_feature_set(case=case, featured=True, by=official)
    with pytest.raises(PermissionDenied):
        case_award_give(case=case, award=Award.objects.first(), year=2025, by=official)


def test_featuring_during_a_review_survives_the_approval_of_the_older_draft(client, official, curator, case):
    client.force_login(official)
    edit_case(client, case, summary="검토 중인 요약", **{"action-submit": "action-submit"})
    case_feature_set(case=case, featured=True, by=curator)  # while the official's draft waits
    client.force_login(curator)
    task_state = CaseStudyPage.objects.get(pk=case.pk).current_workflow_task_state
    client.post(reverse("wagtailadmin_pages:workflow_action", args=[case.pk, "approve", task_state.pk]), {"comment": ""})
    live = CaseStudyPage.objects.get(pk=case.pk)
    assert live.summary == "검토 중인 요약" and live.is_featured

    # Restoring a revision from before the featuring (the editor's "revert") keeps it featured all the same.
    old_revision = case.revisions.order_by("created_at", "id").first()
    assert old_revision.content["is_featured"] is False
    url = reverse("wagtailadmin_pages:revisions_revert", args=[case.pk, old_revision.pk])
    response = client.post(url, admin_form_data(client, url, "page-edit-form"))
    assert response.status_code == 302
    assert CaseStudyPage.objects.get(pk=case.pk).get_latest_revision_as_object().is_featured


def test_an_award_some_case_holds_is_not_deleted(client, curator, case):
    best = Award.objects.get(slug="best-practice")
    case_award_give(case=case, award=best, year=2025, by=curator)
    client.force_login(curator)
    response = client.post(reverse(Award.snippet_viewset.get_url_name("delete"), args=[best.pk]))
    assert response.status_code == 302 and Award.objects.filter(pk=best.pk).exists()
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("지울 수 없습니다" in m and "우수사례" in m for m in messages)


# Search ----------------------------------------------------------------------------------------------------------


def test_search_filters_and_counts_featured_cases_and_awards(client, search_backend, curator):
    best, top = Award.objects.get(slug="best-practice"), Award.objects.get(slug="top-practice")
    featured = make_case(title="추천받은 스마트 가로등", place_code="41110")
    awarded = make_case(title="최우수 스마트 쉼터", place_code="26350")
    plain = make_case(title="평범한 스마트 벤치", place_code="11110")
    case_feature_set(case=featured, featured=True, by=curator)
    case_award_give(case=featured, award=best, year=2025, by=curator)
    case_award_give(case=awarded, award=top, year=2024, by=curator)
    index_now()

    def keys(**filters):
        return {hit.key for hit in search(SearchRequest(filters=SearchFilters(**filters)), viewer=AnonymousUser()).hits}

    assert keys(award="best-practice") == {featured.key} and keys(award="top-practice") == {awarded.key}
    assert keys(featured="yes") == {featured.key}
    assert plain.key in keys() and len(keys()) == 3
    facets = search(SearchRequest(), viewer=AnonymousUser()).facets
    assert {(v.value, v.label, v.count) for v in facets["award"]} == {("best-practice", "우수사례", 1), ("top-practice", "최우수사례", 1)}
    assert [(v.value, v.label, v.count) for v in facets["featured"]] == [("yes", "추천 사례", 1)]
    with pytest.raises(SearchParameterError) as refused:
        search(SearchRequest(filters=SearchFilters(award="no-such-award")), viewer=AnonymousUser())
    assert refused.value.parameter == "award"

    # Awarding and revoking outside a publish reach the index through the outbox.
    given = case_award_give(case=plain, award=best, year=2025, by=curator)
    index_now()
    assert keys(award="best-practice") == {featured.key, plain.key}
    case_award_revoke(case_award=given, by=curator)
    case_feature_set(case=featured, featured=False, by=curator)
    index_now()
    assert keys(award="best-practice") == {featured.key} and keys(featured="yes") == set()

    page = client.get("/search/", {"award": "best-practice"}).content.decode()
    assert "시상: 우수사례" in page and "추천받은 스마트 가로등" in page and "평범한 스마트 벤치" not in page
    assert 'badge--award">우수사례' in page
    answer = client.get("/api/v1/search/", {"award": "top-practice"}).json()
    assert [(r["key"], r["awards"], r["featured"]) for r in answer["results"]] == [(awarded.key, ["top-practice"], False)]
    assert {v["value"] for v in answer["facets"]["award"]} == {"top-practice"}
    assert client.get("/api/v1/search/", {"featured": "no"}).status_code == 400
