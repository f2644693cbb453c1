"""The XSS corpus (tests/data/xss_payloads.txt) and a check that rendered HTML carries no executable script."""

import re
from html.parser import HTMLParser
from pathlib import Path

CORPUS = Path(__file__).parent / "data" / "xss_payloads.txt"
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "srcdoc", "background", "poster"}
DANGEROUS_TAGS = {
    "script",
    "iframe",
    "object",
    "embed",
    "style",
    "svg",
    "math",
    "form",
    "base",
    "meta",
    "link",
    "template",
    "frame",
    "frameset",
}
URL_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
SAFE_SCHEMES = {"http", "https", "mailto"}


def payloads() -> list[str]:
    return [p.strip("\n") for p in CORPUS.read_text(encoding="utf-8").split("\n----\n") if p.strip()]


class _ScriptFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in DANGEROUS_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{tag}[{name}]")
            if name == "style":
                self.problems.append(f"{tag}[style]")
            if name in URL_ATTRIBUTES and value is not None:
                scheme = URL_SCHEME.match(as_browser_reads_url(value))
                if scheme and scheme.group(1).lower() not in SAFE_SCHEMES:
                    self.problems.append(f"{tag}[{name}={value!r}]")


def as_browser_reads_url(value: str) -> str:
    """The WHATWG URL parser strips C0 controls and spaces at both ends and tabs/newlines anywhere."""
    return re.sub(r"[\t\n\r]", "", value.strip("".join(map(chr, range(0x21)))))


def executable_parts(html: str) -> list[str]:
    """Tags, handlers and URLs in `html` that a browser could run; [] means safe."""
    finder = _ScriptFinder()
    finder.feed(html)
    finder.close()
    return finder.problems
