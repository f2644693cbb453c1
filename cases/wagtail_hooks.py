"""Admin for the curated vocabularies (curators edit them; see hub.services for the group permissions) and the menu
entry and pages for importing cases from a spreadsheet."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from . import admin_import_views
from .models import Sector, Stage, Technology


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


class TaxonomyViewSetGroup(SnippetViewSetGroup):
    items = (SectorViewSet, TechnologyViewSet, StageViewSet)
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
