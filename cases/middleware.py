from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from wagtail.models import Page

from cases.models import CaseStudyPage

GUARDED_ADMIN_VIEWS = {"edit", "delete", "unpublish", "move", "copy", "revisions_index"}


class CaseAdminPermissionMiddleware:
    """Answer 403 when an official opens another municipality's case in the admin.

    Wagtail turns a refused page permission into a redirect to the dashboard; for cases we want the status to say
    what happened, so that tools, tests and people can tell "not yours" from "moved".
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if not (match and match.namespace == "wagtailadmin_pages" and match.url_name in GUARDED_ADMIN_VIEWS):
            return None
        user = request.user
        if not (user.is_authenticated and user.has_perm("wagtailadmin.access_admin")):
            return None
        page = Page.objects.filter(pk=view_kwargs.get("page_id")).specific().first()
        if isinstance(page, CaseStudyPage) and not page.permissions_for_user(user).can_edit():
            raise PermissionDenied(_("다른 지자체의 사례는 수정할 수 없습니다."))
        return None
