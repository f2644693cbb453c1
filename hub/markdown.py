"""User-written Markdown → sanitised HTML. Every body on a page, in a digest or in the index goes through here."""

import markdown as markdown_lib
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "dl",
    "dt",
    "em",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
}
# No javascript:, data:, vbscript: or relative-protocol tricks: only these schemes survive.
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
EXTENSIONS = ["extra", "sane_lists", "nl2br"]


def render_markdown(text: str | None) -> SafeString:
    if not text:
        return mark_safe("")
    html = markdown_lib.markdown(text, extensions=EXTENSIONS, output_format="html")
    return mark_safe(sanitise_html(html))  # noqa: S308 - sanitised just above


def sanitise_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def markdown_to_text(text: str | None) -> str:
    """Plain text of a Markdown body (for snippets, e-mails and the index)."""
    return nh3.clean(str(render_markdown(text)), tags=set()).strip()
