"""Who may view, edit and publish what: every role against public and members-only content."""

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, add_member, make_case, make_community, make_user

pytestmark = pytest.mark.django_db

PLACE_A = "11110"  # 서울특별시 종로구
PLACE_B = "26350"  # 부산광역시 해운대구
ROLES = ["anonymous", "pending", "official_a", "official_b", "moderator", "curator"]


@pytest.fixture
def world():
    users = {
        "pending": make_user(role="pending", place_code=PLACE_A),
        "official_a": make_user(role="official", place_code=PLACE_A),
        "official_b": make_user(role="official", place_code=PLACE_B),
        "moderator": make_user(role="member", place_code=PLACE_B),
        "curator": make_user(role="curator", place_code="11000"),
    }
    community = make_community()
    add_member(community, users["moderator"], role="moderator")
    return {
        "users": users,
        "public_case": make_case(place_code=PLACE_A, visibility="public"),
        "members_case": make_case(place_code=PLACE_A, visibility="members"),
    }


def client_for(client, world, role):
    if role != "anonymous":
        client.force_login(world["users"][role])
    return client


VIEW_PUBLIC = dict.fromkeys(ROLES, 200)
VIEW_MEMBERS = {"anonymous": 302, "pending": 403, "official_a": 200, "official_b": 200, "moderator": 200, "curator": 200}


@pytest.mark.parametrize("role", ROLES)
def test_view_public_case(client, world, role):
    assert client_for(client, world, role).get(world["public_case"].url).status_code == VIEW_PUBLIC[role]


@pytest.mark.parametrize("role", ROLES)
def test_view_members_only_case(client, world, role):
    response = client_for(client, world, role).get(world["members_case"].url)
    assert response.status_code == VIEW_MEMBERS[role]
    if role == "anonymous":
        assert response["Location"].startswith(reverse("hub:login"))


# Edit in the Wagtail admin: only the case's own officials and curators get the editor.
EDIT = {"anonymous": 302, "pending": 302, "official_a": 200, "official_b": 403, "moderator": 302, "curator": 200}


@pytest.mark.parametrize("visibility", ["public_case", "members_case"])
@pytest.mark.parametrize("role", ROLES)
def test_edit_case_in_admin(client, world, role, visibility):
    response = client_for(client, world, role).get(f"/admin/pages/{world[visibility].pk}/edit/")
    assert response.status_code == EDIT[role]


# Officials edit their own municipality's cases and submit them for the curators' review ("사례 검토" workflow);
# only curators publish, unpublish and delete a live case.
CAN_EDIT = {"pending": False, "official_a": True, "official_b": False, "moderator": False, "curator": True}
CAN_SUBMIT = CAN_EDIT
CAN_PUBLISH = {"pending": False, "official_a": False, "official_b": False, "moderator": False, "curator": True}


@pytest.mark.parametrize("role", list(CAN_EDIT))
def test_publish_permission(world, role):
    case = world["public_case"]
    tester = case.permissions_for_user(world["users"][role])
    assert tester.can_edit() is CAN_EDIT[role]
    assert tester.can_submit_for_moderation() is CAN_SUBMIT[role]
    assert tester.can_publish() is CAN_PUBLISH[role]
    assert tester.can_unpublish() is CAN_PUBLISH[role]
    assert tester.can_delete() is CAN_PUBLISH[role]


def test_an_official_may_delete_a_draft_case_of_their_own(world):
    draft = make_case(place_code=PLACE_A, publish=False)
    assert draft.permissions_for_user(world["users"]["official_a"]).can_delete() is True
    assert draft.permissions_for_user(world["users"]["official_b"]).can_delete() is False


def test_official_of_another_region_cannot_publish_by_post(client, world):
    case = world["public_case"]
    client.force_login(world["users"]["official_b"])
    response = client.post(f"/admin/pages/{case.pk}/edit/", {"title": "탈취", "action-publish": "action-publish"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.title != "탈취"


LOG_WRITE = {"anonymous": 302, "pending": 403, "official_a": 200, "official_b": 403, "moderator": 403, "curator": 200}


@pytest.mark.parametrize("role", ROLES)
def test_write_project_log(client, world, role):
    response = client_for(client, world, role).get(f"{world['public_case'].url}logs/new/")
    assert response.status_code == LOG_WRITE[role]


SHOWCASE_ADD = {"pending": False, "official_a": False, "official_b": False, "moderator": False, "curator": True}


@pytest.mark.parametrize("role", list(SHOWCASE_ADD))
def test_only_curators_can_create_showcases(world, role):
    from cases.models import ShowcaseIndexPage

    index = ShowcaseIndexPage.objects.get()
    assert index.permissions_for_user(world["users"][role]).can_add_subpage() is SHOWCASE_ADD[role]


def test_official_admin_form_refuses_a_case_of_another_municipality(world):
    from cases.admin_forms import CaseStudyPageForm
    from cases.models import CaseStudyPage
    from hub.models import Place

    form_class = CaseStudyPage.get_edit_handler().get_form_class()
    assert issubclass(form_class, CaseStudyPageForm)
    form = form_class(instance=world["public_case"], for_user=world["users"]["official_a"])
    assert list(form.fields["lead_place"].queryset) == [Place.objects.get(code=PLACE_A)]


def test_approval_turns_a_pending_member_into_an_official(client, world):
    pending = world["users"]["pending"]
    client.force_login(world["users"]["curator"])
    client.post(reverse("hub:approvals"), {"member": pending.member.pk, "role": "official"})
    pending.refresh_from_db()
    assert pending.member.is_approved and pending.groups.filter(name="official").exists()
    assert client.get(reverse("hub:approvals")).status_code == 200


@pytest.mark.parametrize("role", ["official_a", "moderator", "pending"])
def test_only_curators_open_the_approval_page(client, world, role):
    assert client_for(client, world, role).get(reverse("hub:approvals")).status_code == 403


def test_login_with_email(client, world):
    user = world["users"]["official_a"]
    response = client.post(reverse("hub:login"), {"username": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
