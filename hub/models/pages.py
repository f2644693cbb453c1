from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.models import Page


class HomePage(Page):
    """The front door: what is new, where, and where to talk about it."""

    intro = models.TextField(_("소개"), blank=True, help_text=_("Markdown"))

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["cases.CaseIndexPage", "communities.CommunityIndexPage", "cases.ShowcaseIndexPage"]
    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    class Meta:
        verbose_name = _("홈")

    def get_context(self, request, *args, **kwargs):
        from hub.selectors import home_page_context

        context = super().get_context(request, *args, **kwargs)
        context.update(home_page_context(user=request.user))
        return context
