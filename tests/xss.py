"""The XSS corpus (tests/data/xss_payloads.txt) and a check that rendered HTML carries no executable script."""

import re
from html.parser import HTMLParser
from pathlib import Path

CORPUS = Path(__file__).parent / "data" / "xss_payloads.txt"
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "srcdoc", "background", "poster"}
DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "style", "svg", "math", "form", "base", "meta", "link", "template", "frame", "frameset"}
SAFE_SCHEMES = re.compile(r"^(https?:|mailto:|/|#|\?|[^:]*$)", re.IGNORECASE)


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
                cleaned = re.sub(r"[\x00-\x20]", "", value)
                if not SAFE_SCHEMES.match(cleaned):
                    self.problems.append(f"{tag}[{name}={value!r}]")


def executable_parts(html: str) -> list[str]:
    """Tags, handlers and URLs in `html` that a browser could run; [] means safe."""
    finder = _ScriptFinder()
    finder.feed(html)
    finder.close()
    return finder.problems
