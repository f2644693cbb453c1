"""Writes that span several models: the site's page tree and groups, registration and approval of members."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page, Site

from hub.interests import interests_ensure
from hub.models import HomePage, Member, Place
from hub.models.members import CURATOR_GROUP, OFFICIAL_GROUP

User = get_user_model()

PAGE_PERMISSIONS = {
    CURATOR_GROUP: ["add_page", "change_page", "publish_page", "bulk_delete_page", "lock_page", "unlock_page"],
    # Officials submit their cases for the curators' review ("사례 검토" workflow, cases.services) instead of publishing.
    OFFICIAL_GROUP: ["add_page", "change_page"],
}
MODEL_PERMISSIONS = {
    CURATOR_GROUP: [
        ("wagtailadmin", "admin", "access_admin"),
        ("cases", "sector", "add_sector"),
        ("cases", "sector", "change_sector"),
        ("cases", "sector", "delete_sector"),
        ("cases", "technology", "add_technology"),
        ("cases", "technology", "change_technology"),
        ("cases", "technology", "delete_technology"),
        ("cases", "stage", "add_stage"),
        ("cases", "stage", "change_stage"),
        ("cases", "stage", "delete_stage"),
        ("cases", "award", "add_award"),
        ("cases", "award", "change_award"),
        ("cases", "award", "delete_award"),
        ("hub", "member", "change_member"),
    ],
    OFFICIAL_GROUP: [("wagtailadmin", "admin", "access_admin")],
}
COLLECTION_PERMISSIONS = {
    CURATOR_GROUP: ["add_image", "change_image", "choose_image", "add_document", "change_document", "choose_document"],
    OFFICIAL_GROUP: ["add_image", "choose_image", "add_document", "choose_document"],
}


@transaction.atomic
def site_structure_ensure() -> HomePage:
    """Create (or find) the page tree home → cases, communities, showcases, the default Site and the role groups.

    Idempotent: safe to run on every deploy and before every test session.
    """
    from cases.models import CaseIndexPage, ShowcaseIndexPage
    from communities.models import CommunityIndexPage

    home = HomePage.objects.first()
    if home is None:
        root = Page.get_first_root_node()
        # Wagtail's initial migration leaves a placeholder "Welcome" page at the root; the hub's home replaces it.
        for placeholder in root.get_children().exact_type(Page):
            placeholder.delete()
        home = root.add_child(instance=HomePage(title="가치허브", slug="home", intro=""))
    Site.objects.update_or_create(is_default_site=True, defaults={"root_page": home, "hostname": "localhost", "site_name": "가치허브"})

    sections = {}
    for model, title, slug in (
        (CaseIndexPage, "사례", "cases"),
        (CommunityIndexPage, "커뮤니티", "communities"),
        (ShowcaseIndexPage, "쇼케이스", "showcases"),
    ):
        page = model.objects.child_of(home).first()
        if page is None:
            page = home.add_child(instance=model(title=title, slug=slug))
        sections[slug] = page

    _ensure_group(CURATOR_GROUP, page=home)
    _ensure_group(OFFICIAL_GROUP, page=sections["cases"])
    from cases.services import review_workflow_ensure

    review_workflow_ensure()
    return home


def _ensure_group(name: str, *, page: Page) -> Group:
    group, _ = Group.objects.get_or_create(name=name)
    for codename in PAGE_PERMISSIONS[name]:
        permission = Permission.objects.get(content_type__app_label="wagtailcore", codename=codename)
        GroupPagePermission.objects.get_or_create(group=group, page=page, permission=permission)
    for app_label, _model, codename in MODEL_PERMISSIONS[name]:
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    root_collection = Collection.get_first_root_node()
    for codename in COLLECTION_PERMISSIONS[name]:
        permission = Permission.objects.get(codename=codename)
        GroupCollectionPermission.objects.get_or_create(group=group, collection=root_collection, permission=permission)
    return group


@transaction.atomic
def member_register(
    *, email: str, password: str, name: str, place: Place, organisation: str, job_title: str = "", language: str = "ko"
) -> Member:
    """A new, not yet approved account. Curators are told on commit."""
    user = User.objects.create_user(username=email.lower(), email=email.lower(), password=password, first_name=name)
    member = Member.objects.create(user=user, place=place, organisation=organisation, job_title=job_title, language=language)
    interests_ensure(member=member)  # defaults from their own local government's cases, editable on the settings page
    from hub.tasks import member_registered_notify_task

    transaction.on_commit(lambda: member_registered_notify_task.delay(member.pk))
    return member


@transaction.atomic
def member_approve(*, member: Member, approved_by, as_official: bool = True) -> Member:
    """Let the member write; officials also get the admin rights of their group (their own municipality only)."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    if member.is_approved:
        return member
    member.is_approved = True
    member.approved_at = timezone.now()
    member.approved_by = approved_by
    member.save(update_fields=["is_approved", "approved_at", "approved_by"])
    if as_official:
        member.user.groups.add(Group.objects.get(name=OFFICIAL_GROUP))
    interests_ensure(member=member)  # accounts made outside sign-up (admin, shell) get their defaults here
    from hub.tasks import member_approved_notify_task

    transaction.on_commit(lambda: member_approved_notify_task.delay(member.pk))
    return member


def member_make_curator(*, member: Member) -> Member:
    member.user.groups.add(Group.objects.get(name=CURATOR_GROUP))
    return member
