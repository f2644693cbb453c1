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
