"""Admin for the curated vocabularies (curators edit them; see hub.services for the group permissions), the menu
entry and pages for importing cases from a spreadsheet, and the curators' review and curation of cases."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.menus.pages import PageMenuItem
from wagtail.models import Page
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from hub import permissions

from . import admin_curation_views, admin_import_views
from .models import Award, CaseStudyPage, Sector, Stage, Technology
from .selectors import case_changes_requested


class TermViewSet(SnippetViewSet):
    list_display = ["name", "name_en", "slug", "order"]
    ordering = ["order", "name"]
    search_fields = ["name", "name_en"]


class SectorViewSet(TermViewSet):
    model = Sector
    icon = "folder-open-inverse"


class TechnologyViewSet(TermViewSet):
    model = Technology
    icon = "cogs"


class StageViewSet(TermViewSet):
    model = Stage
    icon = "list-ol"


class AwardViewSet(TermViewSet):
    model = Award
    icon = "success"


class TaxonomyViewSetGroup(SnippetViewSetGroup):
    items = (SectorViewSet, TechnologyViewSet, StageViewSet, AwardViewSet)
    menu_label = _("분류 체계")
    menu_icon = "tag"
    menu_order = 300


register_snippet(TaxonomyViewSetGroup)


# Importing cases from a spreadsheet (cases/admin_import_views.py) ------------------------------------------------


class CaseImportMenuItem(MenuItem):
    def is_shown(self, request):
        return admin_import_views.can_import_cases(request.user)


@hooks.register("register_admin_menu_item")
def register_case_import_menu_item():
    return CaseImportMenuItem(_("사례 가져오기"), reverse("cases_import"), icon_name="upload", order=310)


@hooks.register("register_admin_urls")
def register_case_import_urls():
    return [
        path("cases/import/", admin_import_views.CaseImportView.as_view(), name="cases_import"),
        path("cases/import/preview/", admin_import_views.CaseImportPreviewView.as_view(), name="cases_import_preview"),
        path("cases/import/template.xlsx", admin_import_views.import_template_view, name="cases_import_template"),
    ]


# Review and curation (issue 5): cases/admin_curation_views.py, cases.services ----------------------------------------


@hooks.register("register_admin_urls")
def register_case_curation_urls():
    return [path("cases/<int:page_id>/curation/", admin_curation_views.CaseCurationView.as_view(), name="cases_curation")]


class CaseCurationButton(PageMenuItem):
    label = _("추천·시상")
    icon_name = "success"
    url_name = "cases_curation"

    def is_shown(self, user):
        return issubclass(self.page.specific_class or Page, CaseStudyPage) and permissions.is_curator(user)


@hooks.register("register_page_header_buttons")
def case_curation_header_button(page, user, view_name, next_url=None):
    yield CaseCurationButton(page=page, priority=45)


@hooks.register("register_page_listing_more_buttons")
def case_curation_listing_button(page, user, next_url=None):
    yield CaseCurationButton(page=page, priority=45)


@hooks.register("before_edit_page")
def case_review_comment_message(request, page):
    """The author opening a case the curators sent back reads their comment first, above the form."""
    if request.method != "GET" or not isinstance(page, CaseStudyPage):
        return None
    if (request_for_changes := case_changes_requested(case=page)) is not None:
        messages.warning(request, request_for_changes.message)
    return None


@hooks.register("before_delete_snippet")
def award_delete_refused_while_given(request, instances):
    """An award some case holds is not deleted (the case keeps its badge); say so instead of failing."""
    if not instances or not isinstance(instances[0], Award):
        return None
    held = [award for award in instances if award.case_awards.exists()]
    if not held:
        return None
    names = ", ".join(str(award) for award in held)
    messages.error(
        request, _("사례가 받은 시상은 지울 수 없습니다: %(names)s. 먼저 사례의 추천·시상 화면에서 시상을 취소하세요.") % {"names": names}
    )
    return redirect(Award.snippet_viewset.get_url_name("list"))
