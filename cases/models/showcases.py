from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, InlinePanel
from wagtail.models import Orderable, Page
from wagtail.search import index


class ShowcaseIndexPage(Page):
    intro = models.TextField(_("소개"), blank=True, help_text=_("Markdown"))

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["cases.ShowcasePage"]
    parent_page_types = ["hub.HomePage"]
    max_count = 1

    class Meta:
        verbose_name = _("쇼케이스 목록")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["showcases"] = ShowcasePage.objects.child_of(self).live().order_by("-first_published_at")
        return context


class ShowcasePage(Page):
    """A curated, ordered collection of cases with an editorial introduction (curators only)."""

    intro = models.TextField(_("편집자 소개"), help_text=_("Markdown"))

    content_panels = [*Page.content_panels, FieldPanel("intro"), InlinePanel("items", heading=_("사례"), label=_("사례"), min_num=1)]
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    parent_page_types = ["cases.ShowcaseIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("쇼케이스")
        verbose_name_plural = _("쇼케이스")

    def get_context(self, request, *args, **kwargs):
        from cases.models import CaseStudyPage

        context = super().get_context(request, *args, **kwargs)
        visible = CaseStudyPage.objects.visible_to(request.user).with_facts()
        cases_by_id = {case.pk: case for case in visible.filter(pk__in=[item.case_id for item in self.items.all()])}
        context["entries"] = [(item, cases_by_id[item.case_id]) for item in self.items.all() if item.case_id in cases_by_id]
        return context


class ShowcaseItem(Orderable):
    page = ParentalKey(ShowcasePage, on_delete=models.CASCADE, related_name="items")
    case = models.ForeignKey("cases.CaseStudyPage", verbose_name=_("사례"), on_delete=models.CASCADE, related_name="+")
    note = models.CharField(_("큐레이터 메모"), max_length=300, blank=True)

    panels = [FieldPanel("case"), FieldPanel("note")]
