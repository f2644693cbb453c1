"""Admin for the curated vocabularies (curators edit them; see hub.services for the group permissions)."""

from django.utils.translation import gettext_lazy as _
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

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
