"""Adoption between municipalities: "우리 지자체도 도입했어요", linked to the adopter's own case or started as a new one."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from cases.models import Adoption, CaseStudyPage
from cases.services import AdoptionRefused, adoption_case_start, adoption_record
from search.models import IndexOutboxEntry
from tests.factories import make_case, make_user

pytestmark = pytest.mark.django_db

SUWON, SEONGNAM, HAEUNDAE = "41110", "41130", "26350"


@pytest.fixture
def source():
    case = make_case(
        place_code=HAEUNDAE,
        title="관광 빅데이터 플랫폼",
        summary="카드 매출과 유동인구로 관광객 동선을 분석합니다.",
        problem="성수기 **혼잡**을 미리 알 수 없었습니다.",
        solution="통신·카드 데이터를 결합했습니다.",
        sector="tourism",
        stage="operation",
        technologies=("big-data", "ai"),
    )
    case = case.get_latest_revision_as_object()
    case.tags.set(["관광", "데이터 결합"])
    case.save_revision().publish()
    return CaseStudyPage.objects.get(pk=case.pk)


@pytest.fixture
def official():
    return make_user(role="official", place_code=SUWON, name="한수원")


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_adoption_linked_to_the_adopters_case_shows_on_both_case_pages(client, source, official):
    own = make_case(place_code=SUWON, title="수원 관광 데이터 분석")
    client.force_login(official)
    response = client.post(f"{source.url}adopt/", {"adopter_case": own.pk, "note": "2026년 화성행궁 구간 적용"})
    assert response.status_code == 302 and response["Location"] == f"{source.url}#adoption"
    adoption = Adoption.objects.get()
    assert (adoption.source_case, adoption.adopter_place.code, adoption.adopter_case, adoption.created_by) == (source, SUWON, own, official)
    assert "경기도 수원시의 도입을 기록했습니다." in messages_of(response)

    client.logout()  # what any visitor sees, on both ends
    source_html = client.get(source.url).content.decode()
    assert "도입한 지자체" in source_html and "경기도 수원시" in source_html
    assert f'href="{own.url}"' in source_html and "2026년 화성행궁 구간 적용" in source_html
    own_html = client.get(own.url).content.decode()
    assert "참고한 사례" in own_html and "부산광역시 해운대구" in own_html and f'href="{source.url}"' in own_html

    # Both cases' documents are queued for the index, in the same transaction as the adoption.
    queued = set(IndexOutboxEntry.objects.values_list("doc_id", flat=True))
    assert {f"case:{source.pk}", f"case:{own.pk}"} <= queued


def test_recording_again_is_idempotent_and_can_link_the_case_later(source, official):
    first = adoption_record(source_case=source, user=official, note="검토 중")
    assert first.adopter_case is None
    again = adoption_record(source_case=source, user=official)
    own = make_case(place_code=SUWON)
    linked = adoption_record(source_case=source, user=official, adopter_case=own)
    colleague = make_user(place_code=SUWON)  # a plain member of the same city: the same adoption, not a second
    adoption_record(source_case=source, user=colleague)
    assert first.pk == again.pk == linked.pk and Adoption.objects.count() == 1
    linked.refresh_from_db()
    assert linked.adopter_case == own and linked.note == "검토 중" and linked.created_by == official


def test_a_plain_approved_member_may_record_but_not_start_a_case(client, source):
    member = make_user(place_code=SEONGNAM)
    client.force_login(member)
    html = client.get(source.url).content.decode()
    assert "우리 지자체도 도입했어요" in html and "이 사례를 바탕으로 우리 사례 쓰기" not in html
    response = client.post(f"{source.url}adopt/new/")
    assert response.status_code == 302 and "지자체 담당자만" in messages_of(response)[-1]
    assert not CaseStudyPage.objects.filter(lead_place__code=SEONGNAM).exists() and not Adoption.objects.exists()
    client.post(f"{source.url}adopt/", {"adopter_case": ""})
    assert Adoption.objects.get().adopter_place.code == SEONGNAM


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("own-lead", "우리 지자체가 주관하거나 참여한 사례는"),
        ("own-participant", "우리 지자체가 주관하거나 참여한 사례는"),
        ("pending", "승인된 지자체 회원만"),
    ],
)
def test_refusals_are_messages_on_the_case_page(client, source, who, expected):
    if who == "own-lead":
        user = make_user(role="official", place_code=HAEUNDAE)
    elif who == "own-participant":
        user = make_user(role="official", place_code=SUWON)
        source = source.get_latest_revision_as_object()
        source.participating_places = [make_user(place_code=SUWON).member.place]
        source.save_revision().publish()
        source = CaseStudyPage.objects.get(pk=source.pk)
    else:
        user = make_user(role="pending", place_code=SUWON)
    client.force_login(user)
    html = client.get(source.url).content.decode()
    assert "우리 지자체도 도입했어요" not in html
    for action in ("adopt/", "adopt/new/"):
        response = client.post(f"{source.url}{action}")
        assert response.status_code == 302 and response["Location"] == f"{source.url}#adoption"
        assert expected in messages_of(response)[-1]
    assert not Adoption.objects.exists()


def test_the_linked_case_must_be_the_members_own_and_bad_input_is_a_message(client, source, official):
    elsewhere = make_case(place_code=SEONGNAM, title="성남 사례")
    client.force_login(official)
    for data, expected in [
        ({"adopter_case": elsewhere.pk}, "우리 지자체가 주관하거나 참여한 사례만"),
        ({"adopter_case": "999999"}, "고른 사례를 찾을 수 없습니다."),
        ({"adopter_case": "abc"}, "고른 사례를 찾을 수 없습니다."),
        ({"adopter_case": "9" * 40}, "고른 사례를 찾을 수 없습니다."),
        ({"note": "가" * 1001}, "메모는 1000자 이내로"),
    ]:
        response = client.post(f"{source.url}adopt/", data)
        assert response.status_code == 302 and expected in messages_of(response)[-1], data
    assert not Adoption.objects.exists()


def test_visitors_are_sent_to_sign_in_and_get_is_not_allowed(client, source, official):
    response = client.post(f"{source.url}adopt/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("hub:login"))
    assert "로그인" in client.get(source.url).content.decode()
    client.force_login(official)
    assert client.get(f"{source.url}adopt/").status_code == 405
    assert client.get(f"{source.url}adopt/new/").status_code == 405
    assert not Adoption.objects.exists()


def test_a_members_only_case_cannot_be_adopted_by_anyone_who_cannot_open_it(source):
    hidden = make_case(place_code=SEONGNAM, visibility="members")
    with pytest.raises(AdoptionRefused):
        adoption_record(source_case=hidden, user=make_user(role="pending", place_code=SUWON))
    draft = make_case(place_code=SEONGNAM, publish=False)
    with pytest.raises(AdoptionRefused, match="공개된 사례만"):
        adoption_record(source_case=draft, user=make_user(place_code=SUWON))


def test_official_starts_a_pre_filled_draft_with_the_source_recorded(client, source, official):
    client.force_login(official)
    response = client.post(f"{source.url}adopt/new/")
    draft = CaseStudyPage.objects.exclude(pk=source.pk).get()
    assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_pages:edit", args=[draft.pk])
    assert not draft.live and draft.has_unpublished_changes and draft.owner == official
    assert draft.lead_place.code == SUWON and draft.key.startswith(source.key)
    assert (draft.title, draft.summary, draft.problem, draft.solution) == (source.title, source.summary, source.problem, source.solution)
    assert draft.sector == source.sector and draft.stage.slug == "planning"
    assert set(draft.technologies.values_list("slug", flat=True)) == {"big-data", "ai"}
    assert set(draft.tags.names()) == {"관광", "데이터 결합"}
    adoption = Adoption.objects.get()
    assert adoption.source_case == source and adoption.adopter_case == draft and adoption.adopter_place.code == SUWON
    # The editor opens for its official; the draft's page is not public yet, so the source names the place only.
    assert client.get(response["Location"]).status_code == 200
    html = client.get(source.url).content.decode()
    assert "경기도 수원시의 도입으로 기록되어 있습니다." in html and f"/{draft.slug}/" not in html
    # A second click opens the same draft instead of writing another.
    assert adoption_case_start(source_case=source, user=official) == draft
    assert CaseStudyPage.objects.count() == 2 and Adoption.objects.count() == 1
    # Once published, the source links it and it links back to the source.
    draft.get_latest_revision().publish()
    client.logout()
    draft = CaseStudyPage.objects.get(pk=draft.pk)
    assert f'href="{draft.url}"' in client.get(source.url).content.decode()
    assert f'href="{source.url}"' in client.get(draft.url).content.decode()


def test_a_members_only_adopter_case_is_named_by_its_place_for_visitors(client, source, official):
    own = make_case(place_code=SUWON, title="수원 회원 공개 사례", visibility="members")
    adoption_record(source_case=source, user=official, adopter_case=own)
    html = client.get(source.url).content.decode()
    assert "경기도 수원시" in html and "수원 회원 공개 사례" not in html
    client.force_login(make_user(place_code=SEONGNAM))
    assert "수원 회원 공개 사례" in client.get(source.url).content.decode()
