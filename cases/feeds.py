"""Atom feeds: project log entries (/logs/feed/) and new case studies, overall (/cases/feed/), per sector
(/cases/feed/sector/<slug>/) and per 시도 (/cases/feed/region/<code>/). Feed readers are anonymous: public items only."""

from django.contrib.syndication.views import Feed
from django.db.models import Q
from django.http import Http404
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _

from cases.models import CaseStudyPage, Sector
from cases.models.pages import Visibility
from cases.selectors import public_log_entries
from hub.markdown import render_markdown
from hub.models import Place

CASE_FEED_SIZE = 50


class LogEntryFeed(Feed):
    """Atom feed of project log entries on public cases (feed readers are anonymous)."""

    feed_type = Atom1Feed
    title = _("가치허브 프로젝트 로그")
    subtitle = _("지자체 디지털혁신 사업의 최신 진행 기록")
    link = "/logs/"

    def items(self):
        return public_log_entries()

    def item_title(self, item):
        return f"[{item.case.title}] {item.title}"

    def item_description(self, item):
        return render_markdown(item.body)

    def item_link(self, item):
        return f"{item.case.url}#log-{item.pk}"

    def item_pubdate(self, item):
        return item.created_at

    def item_updateddate(self, item):
        return item.updated_at


def public_new_cases(*, sector: Sector | None = None, province: Place | None = None):
    """The newest published public cases, optionally of one sector or led within one 시도 (by the 시도 or one of its 시군구)."""
    cases = CaseStudyPage.objects.live().filter(visibility=Visibility.PUBLIC).with_facts()
    if sector is not None:
        cases = cases.filter(sector=sector)
    if province is not None:
        cases = cases.filter(Q(lead_place=province) | Q(lead_place__parent=province))
    return cases.order_by("-first_published_at", "-pk")[:CASE_FEED_SIZE]


class CaseFeed(Feed):
    """New case studies, newest first (the newest CASE_FEED_SIZE)."""

    feed_type = Atom1Feed
    title = _("가치허브 새 사례")
    subtitle = _("전국 지자체의 새 디지털혁신 사례")
    link = "/cases/"

    def items(self, obj=None):
        return public_new_cases()

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        facts = f"{item.lead_place.full_name} · {item.sector.label} · {item.stage.label}"
        return format_html("<p>{}</p><p>{}</p>", facts, item.summary)

    def item_link(self, item):
        return item.url

    def item_guid(self, item):
        return f"case:{item.key}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.first_published_at

    def item_updateddate(self, item):
        return item.last_published_at

    def item_categories(self, item):
        return [item.sector.label, *(t.label for t in item.technologies.all())]


class SectorCaseFeed(CaseFeed):
    """New cases of one sector; an unknown sector is a 404."""

    def get_object(self, request, slug):
        sector = Sector.objects.filter(slug=slug).first()
        if sector is None:
            raise Http404(_gettext("그런 분야가 없습니다."))
        return sector

    def title(self, obj):
        return _gettext("가치허브 새 사례: %(sector)s") % {"sector": obj.label}

    def link(self, obj):
        return f"/cases/?sector={obj.slug}"

    def items(self, obj):
        return public_new_cases(sector=obj)


class RegionCaseFeed(CaseFeed):
    """New cases led in one 시도 (by the 시도 itself or one of its 시군구); anything but a 시도 code is a 404."""

    def get_object(self, request, code):
        province = Place.objects.korean().provinces().filter(code=code).first()
        if province is None:
            raise Http404(_gettext("그런 시도가 없습니다."))
        return province

    def title(self, obj):
        return _gettext("가치허브 새 사례: %(region)s") % {"region": obj.name}

    def link(self, obj):
        return f"/cases/?region={obj.code}"

    def items(self, obj):
        return public_new_cases(province=obj)
