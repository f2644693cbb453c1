from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from hub import permissions


class ApprovalsMenuItem(MenuItem):
    def is_shown(self, request):
        return permissions.is_curator(request.user)


@hooks.register("register_admin_menu_item")
def register_approvals_menu_item():
    return ApprovalsMenuItem(_("가입 승인"), reverse("hub:approvals"), icon_name="user", order=900)


class PiiFlagsMenuItem(MenuItem):
    def is_shown(self, request):
        return permissions.is_curator(request.user)


@hooks.register("register_admin_menu_item")
def register_pii_flags_menu_item():
    return PiiFlagsMenuItem(_("개인정보 경고"), reverse("hub:pii_flags"), icon_name="warning", order=910)


class DigestToolsMenuItem(MenuItem):
    def is_shown(self, request):
        return permissions.is_curator(request.user)


@hooks.register("register_admin_menu_item")
def register_digest_tools_menu_item():
    return DigestToolsMenuItem(_("소식 메일 점검"), reverse("hub:digest_runs"), icon_name="mail", order=920)


@hooks.register("after_create_page")
@hooks.register("after_edit_page")
def record_case_pii_override(request, page):
    """A curator who published a case despite the PII warning: record who, when, what and why."""
    from cases.admin_forms import case_pii_override_record

    case_pii_override_record(page=page, user=request.user, data=request.POST)
