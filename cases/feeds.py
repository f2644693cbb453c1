from django.contrib.syndication.views import Feed
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from cases.selectors import public_log_entries
from hub.markdown import render_markdown


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
