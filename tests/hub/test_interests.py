"""Interests on the settings page, their defaults, saved searches from the search page, and follows."""

import pytest
from bs4 import BeautifulSoup
from django.db import IntegrityError, transaction
from django.urls import reverse

from cases.models import Sector, Technology
from hub.interests import follow, interests_ensure, saved_search_create, unfollow
from hub.models import Follow, Member, MemberInterests, SavedSearch
from hub.services import member_approve, member_register
from tests.factories import make_case, make_community, make_user, place
from tests.search_helpers import index_now

pytestmark = pytest.mark.django_db

SETTINGS = "/accounts/settings/"
INTERESTS = "/accounts/settings/interests/"


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def checked(soup, name: str) -> set[str]:
    """The labels of the ticked boxes of one checkbox group."""
    return {box.find_parent("label").get_text(strip=True) for box in soup.select(f"input[name=interests-{name}][checked]")}


def interests_post(**overrides) -> dict:
    data = {
        "interests-sectors": [Sector.objects.get(slug="environment").pk, Sector.objects.get(slug="safety").pk],
        "interests-technologies": [Technology.objects.get(slug="iot").pk],
        "interests-provinces": [place("41000").pk],
        "interests-municipalities": "부산광역시 중구, 성남시, 51150",
        "interests-tags": "미세먼지, 스마트 횡단보도",
        "interests-keywords": "대기질 센서, 어린이 보호구역",
        "interests-digest_frequency": "daily",
    }
    data.update(overrides)
    return data


# The settings page -------------------------------------------------------------------------------------------------


def test_interests_round_trip_through_the_settings_page(client):
    user = make_user(role="official", place_code="41110")
    client.force_login(user)

    response = client.post(INTERESTS, interests_post())
    assert response.status_code == 302 and response["Location"].endswith("#interests")

    interests = MemberInterests.objects.get(member__user=user)
    assert {s.slug for s in interests.sectors.all()} == {"environment", "safety"}
    assert {p.code for p in interests.places.all()} == {"41000", "26110", "41130", "51150"}
    assert interests.tags == ["미세먼지", "스마트 횡단보도"]
    assert interests.keywords == ["대기질 센서", "어린이 보호구역"]
    assert interests.digest_frequency == "daily"

    # The page shows what was saved: ticked boxes, the 시군구 by their full names, the texts, the frequency.
    page = soup_of(client.get(SETTINGS))
    section = page.select_one("section#interests")
    assert section.select_one("h2").get_text(strip=True) == "관심사와 알림"
    assert checked(section, "sectors") == {"환경", "안전"}
    assert checked(section, "technologies") == {"IoT"}
    assert checked(section, "provinces") == {"경기도"}
    assert section.select_one("input[name=interests-municipalities]")["value"] == "부산광역시 중구, 경기도 성남시, 강원특별자치도 강릉시"
    assert section.select_one("input[name=interests-keywords]")["value"] == "대기질 센서, 어린이 보호구역"
    assert section.select_one("input[name=interests-digest_frequency][checked]")["value"] == "daily"
    # Checkbox groups and radios are fieldsets with a legend; every option has its own label.
    assert {legend.get_text(strip=True) for legend in section.select("fieldset legend")} >= {
        "관심 분야",
        "관심 기술",
        "관심 시도",
        "소식 메일",
    }
    for box in section.select("input[type=checkbox], input[type=radio]"):
        assert box.find_parent("label") is not None

    # Saving the page unchanged keeps everything as it was (the form's own values post back as they are).
    form = section.select_one("form")
    fields: dict[str, list] = {}
    for field in form.select("input[name]"):
        if field.get("type") in ("checkbox", "radio") and not field.has_attr("checked"):
            continue
        fields.setdefault(field["name"], []).append(field.get("value", ""))
    assert client.post(INTERESTS, fields).status_code == 302
    again = MemberInterests.objects.get(member__user=user)
    assert {p.code for p in again.places.all()} == {"41000", "26110", "41130", "51150"}
    assert again.keywords == interests.keywords and again.digest_frequency == "daily"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"interests-municipalities": "중구"}, "municipalities", "‘중구’는 여러 시도에 있습니다"),
        ({"interests-municipalities": "중구"}, "municipalities", "‘서울특별시 중구’처럼 시도와 함께 쓰세요"),
        ({"interests-municipalities": "서울특별시 해운대구"}, "municipalities", "‘해운대구’는 서울특별시의 시군구가 아닙니다"),
        ({"interests-municipalities": "99999"}, "municipalities", "‘99999’는 알 수 없는 지역 코드입니다"),
        ({"interests-keywords": "가" * 41}, "keywords", "1~40자로 써 주세요"),
        ({"interests-keywords": ", ".join(f"키워드{n}" for n in range(21))}, "keywords", "20개까지 넣을 수 있습니다(지금 21개)"),
        ({"interests-tags": "태" * 51}, "tags", "1~50자로 써 주세요"),
        ({"interests-digest_frequency": "hourly"}, "digest_frequency", "올바르게 선택해 주세요"),
        ({"interests-sectors": ["999999"]}, "sectors", "올바르게 선택해 주세요"),
    ],
)
def test_bad_interests_are_shown_at_their_field_and_nothing_changes(client, overrides, field, message):
    user = make_user(place_code="41110")
    client.force_login(user)
    before = interests_ensure(member=user.member)
    before_places = set(before.places.values_list("pk", flat=True))

    response = client.post(INTERESTS, interests_post(**overrides))
    assert response.status_code == 200
    errors = soup_of(response).select_one(f"[name=interests-{field}]").find_parent(["div", "fieldset"], class_="field")
    assert message in errors.get_text(" ", strip=True)
    after = MemberInterests.objects.get(member__user=user)
    assert after.digest_frequency == "weekly" and after.keywords == [] and set(after.places.values_list("pk", flat=True)) == before_places


def test_interests_need_a_signed_in_member(client):
    assert client.post(INTERESTS, interests_post())["Location"].startswith("/accounts/login/")
    assert client.get(INTERESTS).status_code == 405


# Defaults --------------------------------------------------------------------------------------------------------


def test_sign_up_defaults_come_from_the_members_own_local_government_and_its_cases():
    make_case(place_code="41110", sector="safety", technologies=("iot", "ai"))
    make_case(place_code="41130", sector="environment", technologies=("drones",), participating_places=[place("41110")])
    make_case(place_code="41130", sector="tourism", technologies=("metaverse",))  # 성남's alone: not 수원's
    make_case(place_code="41110", sector="administration", technologies=("rpa",), publish=False)  # a draft is their work too

    member = member_register(
        email="new@suwon.example", password="pw-2026-long!", name="새 직원", place=place("41110"), organisation="정보통신과"
    )

    interests = member.interests
    assert {s.slug for s in interests.sectors.all()} == {"safety", "environment", "administration"}
    assert {t.slug for t in interests.technologies.all()} == {"iot", "ai", "drones", "rpa"}
    assert [p.code for p in interests.places.all()] == ["41000"]
    assert interests.digest_frequency == "weekly" and interests.keywords == [] and interests.tags == []


def test_provincial_staff_get_their_own_province_and_approval_fills_in_missing_defaults():
    make_case(place_code="26000", sector="tourism", technologies=("big-data",))
    curator = make_user(role="curator")
    user = make_user(role="pending", place_code="26000")  # made outside sign-up: no interests yet
    assert not MemberInterests.objects.filter(member__user=user).exists()

    member_approve(member=user.member, approved_by=curator)

    interests = MemberInterests.objects.get(member__user=user)
    assert [p.code for p in interests.places.all()] == ["26000"]
    assert [s.slug for s in interests.sectors.all()] == ["tourism"]
    # Approval never overwrites what the member chose.
    interests.digest_frequency = "off"
    interests.save()
    interests_ensure(member=user.member)
    assert MemberInterests.objects.get(member__user=user).digest_frequency == "off"


# Saved searches ----------------------------------------------------------------------------------------------------


def subscribe_form(soup) -> tuple[str, dict[str, str]] | None:
    form = soup.select_one("form.subscribe-search")
    if form is None:
        return None
    return form["action"], {field["name"]: field.get("value", "") for field in form.select("input[name]")}


def search_state(soup) -> dict:
    """What the search page shows: result titles, active chips and the search form's fields."""
    return {
        "titles": [a.get_text(strip=True) for a in soup.select(".results .result__title a")],
        "chips": sorted(a.get_text(" ", strip=True) for a in soup.select(".active-filters a.chip--removable")),
        "form": sorted((f["name"], f.get("value", "")) for f in soup.select("form.search-form input[name]")),
    }


@pytest.fixture
def air_quality(search_sqlite):
    make_case(
        key="suwon-air",
        title="IoT 대기질 측정망",
        summary="미세먼지 센서 200곳",
        place_code="41110",
        sector="environment",
        technologies=("iot",),
    )
    make_case(
        key="jeju-air",
        title="제주 대기질 알림",
        summary="미세먼지 알림 서비스",
        place_code="50000",
        sector="environment",
        technologies=("iot",),
    )
    make_case(key="suwon-bus", title="버스 정보 안내", summary="정류장 안내", place_code="41110", sector="urban-transport")
    index_now()


def test_subscribing_saves_the_exact_search_and_reopening_it_shows_the_same_page(client, air_quality):
    user = make_user(place_code="11110")
    client.force_login(user)
    url = "/search/?q=%EB%AF%B8%EC%84%B8%EB%A8%BC%EC%A7%80&region=41000&sector=environment&sort=newest"
    page = soup_of(client.get(url))
    assert search_state(page)["titles"] == ["IoT 대기질 측정망"]
    action, fields = subscribe_form(page)
    assert action == reverse("hub:saved_search_create")
    assert fields == {
        "csrfmiddlewaretoken": fields["csrfmiddlewaretoken"],
        "q": "미세먼지",
        "region": "41000",
        "sector": "environment",
        "sort": "newest",
    }

    response = client.post(action, fields, follow=True)
    saved = SavedSearch.objects.get(member__user=user)
    assert saved.query == "미세먼지" and saved.filters == {"region": "41000", "sector": "environment", "sort": "newest"}
    assert saved.name == "‘미세먼지’ · 경기도 · 환경"
    assert response.redirect_chain[-1][0] == saved.url
    reopened = soup_of(response)
    assert "이 검색을 구독했습니다: ‘미세먼지’ · 경기도 · 환경" in reopened.get_text()
    assert search_state(reopened) == search_state(page)

    # Subscribing again keeps one subscription and says so.
    again = client.post(action, fields, follow=True)
    assert "이미 구독한 검색입니다" in again.content.decode()
    assert SavedSearch.objects.filter(member__user=user).count() == 1

    # The settings page lists it with "열기" (the same page again) and "삭제".
    settings_page = soup_of(client.get(SETTINGS)).select_one("section#saved-searches")
    item = settings_page.select_one("li")
    assert "‘미세먼지’ · 경기도 · 환경" in item.get_text()
    open_link = next(a for a in item.select("a") if a.get_text(strip=True).startswith("열기"))
    assert search_state(soup_of(client.get(open_link["href"]))) == search_state(page)
    delete_form = item.select_one("form")
    assert client.post(delete_form["action"]).status_code == 302
    assert not SavedSearch.objects.filter(member__user=user).exists()
    assert client.post(delete_form["action"]).status_code == 404  # already gone


def test_a_search_without_words_is_saved_with_its_filters_only(client, air_quality):
    user = make_user()
    client.force_login(user)
    page = soup_of(client.get("/search/?technology=iot"))
    action, fields = subscribe_form(page)
    client.post(action, fields)
    saved = SavedSearch.objects.get(member__user=user)
    assert saved.query == "" and saved.filters == {"technology": "iot"} and saved.name == "전체 · IoT"
    assert saved.url == "/search/?technology=iot"
    assert search_state(soup_of(client.get(saved.url)))["titles"] == search_state(page)["titles"]


def test_a_tampered_subscription_is_refused_with_a_reason(client, air_quality):
    user = make_user()
    client.force_login(user)
    response = client.post(reverse("hub:saved_search_create"), {"q": "미세먼지", "sector": "no-such-sector"}, follow=True)
    assert "분야 ‘no-such-sector’는 알 수 없는 값입니다." in response.content.decode()
    assert not SavedSearch.objects.exists()


def test_only_approved_members_may_subscribe(client, air_quality):
    pending = make_user(role="pending")
    client.force_login(pending)
    assert subscribe_form(soup_of(client.get("/search/?q=미세먼지"))) is None
    assert client.post(reverse("hub:saved_search_create"), {"q": "미세먼지"}).status_code == 403
    client.logout()
    assert subscribe_form(soup_of(client.get("/search/?q=미세먼지"))) is None
    assert client.post(reverse("hub:saved_search_create"), {"q": "미세먼지"})["Location"].startswith("/accounts/login/")
    assert not SavedSearch.objects.exists()


def test_the_database_keeps_one_row_per_saved_search():
    member = make_user().member
    saved, created = saved_search_create(member=member, params={"q": "드론", "technology": "drones"})
    assert created
    assert saved_search_create(member=member, params={"technology": "drones", "q": " 드론 "}) == (saved, False)
    with pytest.raises(IntegrityError), transaction.atomic():
        SavedSearch.objects.create(member=member, name="x", query="드론", filters=saved.filters, state_key=saved.state_key)


# Follows ---------------------------------------------------------------------------------------------------------


def follow_form(soup) -> dict[str, str] | None:
    form = soup.select_one(".follow form")
    if form is None:
        return None
    fields = {field["name"]: field.get("value", "") for field in form.select("input[name]")}
    button = form.select_one("button[name=action]")
    return {**fields, "action": button["value"], "label": button.get_text(strip=True)}


def follower_count(soup) -> str:
    return soup.select_one(".follow .follower-count").get_text(strip=True)


@pytest.mark.parametrize("kind", ["case", "community", "member"])
def test_follow_and_unfollow_from_the_page_are_idempotent(client, kind):
    user = make_user(place_code="50000")
    target, url = {
        "case": lambda: (case := make_case(place_code="41110"), case.url),
        "community": lambda: (community := make_community(), community.url),
        "member": lambda: (other := make_user(place_code="41110"), f"/accounts/members/{other.pk}/"),
    }[kind]()
    client.force_login(user)

    page = soup_of(client.get(url))
    form = follow_form(page)
    assert form["label"] == "팔로우" and form["kind"] == kind and follower_count(page) == "팔로워 0명"
    post = {name: value for name, value in form.items() if name != "label"}
    response = client.post(reverse("hub:follow"), post)
    assert response.status_code == 302 and response["Location"] == url
    assert client.post(reverse("hub:follow"), post).status_code == 302  # a second click (or a resent form) changes nothing
    assert Follow.objects.filter(member=user.member).count() == 1
    assert Follow.objects.get(member=user.member).kind == kind

    page = soup_of(client.get(url))
    assert follow_form(page)["label"] == "팔로우 취소" and follower_count(page) == "팔로워 1명"
    assert "팔로우했습니다" in page.get_text()
    # The settings page lists the follow with a way to stop it.
    listed = soup_of(client.get(SETTINGS)).select_one("section#follows li")
    assert listed is not None and listed.select_one("button").get_text(strip=True) == "팔로우 취소"

    unfollow_post = {**post, "action": "unfollow"}
    assert client.post(reverse("hub:follow"), unfollow_post).status_code == 302
    assert client.post(reverse("hub:follow"), unfollow_post).status_code == 302
    assert not Follow.objects.filter(member=user.member).exists()
    assert follower_count(soup_of(client.get(url))) == "팔로워 0명"


def test_followers_are_counted_for_everyone_and_pending_members_cannot_follow(client):
    case = make_case(place_code="41110")
    for _n in range(2):
        follow(member=make_user().member, target=case)
    pending = make_user(role="pending")
    client.force_login(pending)
    page = soup_of(client.get(case.url))
    assert follow_form(page) is None and follower_count(page) == "팔로워 2명"
    response = client.post(reverse("hub:follow"), {"kind": "case", "id": case.pk, "action": "follow"})
    assert response.status_code == 403
    with pytest.raises(Exception, match="승인된 회원만 팔로우할 수 있습니다"):
        follow(member=pending.member, target=case)
    with pytest.raises(Exception, match="승인된 회원만 검색을 구독할 수 있습니다"):
        saved_search_create(member=pending.member, params={"q": "드론"})

    client.logout()
    page = soup_of(client.get(case.url))
    assert follower_count(page) == "팔로워 2명" and page.select_one(".follow a")["href"].startswith("/accounts/login/")
    assert client.post(reverse("hub:follow"), {"kind": "case", "id": case.pk})["Location"].startswith("/accounts/login/")
    assert Follow.objects.filter(case=case).count() == 2


def test_what_cannot_be_followed(client):
    user = make_user()
    client.force_login(user)
    draft = make_case(publish=False)
    assert client.post(reverse("hub:follow"), {"kind": "case", "id": draft.pk}).status_code == 404
    assert client.post(reverse("hub:follow"), {"kind": "case", "id": "99999999999999999999999"}).status_code == 404
    assert client.post(reverse("hub:follow"), {"kind": "page", "id": draft.pk}).status_code == 400
    # Oneself: no button on one's own profile, and a forged request is refused.
    assert follow_form(soup_of(client.get(f"/accounts/members/{user.pk}/"))) is None
    response = client.post(reverse("hub:follow"), {"kind": "member", "id": user.pk})
    assert response.status_code == 400 and "자기 자신은 팔로우할 수 없습니다" in response.content.decode()
    # An outside "next" is not followed: back to the target instead.
    case = make_case()
    response = client.post(reverse("hub:follow"), {"kind": "case", "id": case.pk, "next": "https://evil.example/"})
    assert response["Location"] == case.url
    assert Follow.objects.filter(member=user.member).count() == 1


def test_the_database_refuses_duplicate_and_self_follows():
    member = make_user().member
    case = make_case()
    follow(member=member, target=case)
    with pytest.raises(IntegrityError), transaction.atomic():
        Follow.objects.create(member=member, case=case)
    with pytest.raises(IntegrityError), transaction.atomic():
        Follow.objects.create(member=member, followed_member=member)
    with pytest.raises(IntegrityError), transaction.atomic():
        Follow.objects.create(member=member, case=case, community=make_community())
    assert unfollow(member=member, target=case) and not unfollow(member=member, target=case)
    assert Member.objects.get(pk=member.pk).follows.count() == 0
