from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from hub.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text):
    return render_markdown(text)


@register.filter
def won(amount):
    """1200000000 → '12억 원', 35000000 → '3,500만 원' (Korean money reads in 억/만)."""
    if amount is None or amount == "":
        return ""
    amount = int(amount)
    if not (get_language() or "ko").startswith("ko"):
        # 억/만 have no English counterpart: other languages get the whole amount, e.g. 'KRW 1,200,000,000'.
        return _("%(won)s원") % {"won": f"{amount:,}"}
    eok, rest = divmod(amount, 100_000_000)
    man = rest // 10_000
    if eok and man:
        return _("%(eok)s억 %(man)s만 원") % {"eok": f"{eok:,}", "man": f"{man:,}"}
    if eok:
        return _("%(eok)s억 원") % {"eok": f"{eok:,}"}
    if man:
        return _("%(man)s만 원") % {"man": f"{man:,}"}
    return _("%(won)s원") % {"won": f"{amount:,}"}
