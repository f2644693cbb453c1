"""Snippets with the matched words marked, made the same way for both backends from the stored plain text.

The index holds analysed terms (stems, nouns without particles), not the words as written, so neither backend can
highlight the original text by itself. Korean particles and English inflections are endings, so a written word
matches when it starts with a query term: 플랫폼을 starts with 플랫폼, reports with report. Synonyms mark their phrases
as written in the synonym table (a search for 사물인터넷 marks IoT).
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from . import analysis

if TYPE_CHECKING:
    from .service import CompiledText

SNIPPET_CHARS = 180
# A one-letter term marks only a word that is exactly that letter: 시 must not light up every word starting with 시.
PREFIX_MIN_CHARS = 2
_WORD_RE = re.compile(r"[0-9A-Za-z\u00c0-\u024f\uac00-\ud7a3\u3131-\u318e\u4e00-\u9fff]+(?:[.'’-][0-9A-Za-z\uac00-\ud7a3]+)*")


def highlight_forms(compiled: CompiledText) -> tuple[str, ...]:
    """Lower-case forms a written word may start with to count as a match, longest first."""
    forms: set[str] = set()
    for clause in compiled.clauses:
        forms.update(term for term in clause if not term.startswith(analysis.SYNONYM_PREFIX))
    forms.update(compiled.boosts)
    groups = analysis.synonym_groups()
    for synonym in compiled.synonyms:
        for phrase in groups.get(synonym.removeprefix(analysis.SYNONYM_PREFIX), ()):
            forms.update(word.lower() for word in phrase.split())
    return tuple(sorted(forms, key=len, reverse=True))


def snippet(summary: str, body: str, forms: tuple[str, ...], length: int = SNIPPET_CHARS) -> SafeString:
    """About `length` characters around the densest matches (the summary when nothing matches), escaped and marked."""
    text = " ".join(part for part in (summary.strip(), body.strip()) if part)
    text = re.sub(r"\s+", " ", text)
    matches = [(m.start(), m.end()) for m in _WORD_RE.finditer(text) if _matches(m.group(0).lower(), forms)] if forms else []
    start = _word_start(text, _window_start(matches, length))
    end = min(len(text), start + length)
    if end < len(text):  # end on a word boundary
        space = text.rfind(" ", start + length // 2, end)
        end = space if space > 0 else end
    html = []
    cursor = start
    for m_start, m_end in matches:
        if m_start < start or m_end > end:
            continue
        html.append(escape(text[cursor:m_start]))
        html.append(f"<mark>{escape(text[m_start:m_end])}</mark>")
        cursor = m_end
    html.append(escape(text[cursor:end]))
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return mark_safe(prefix + "".join(html).strip() + suffix)  # noqa: S308 - every piece is escaped above


def _word_start(text: str, start: int) -> int:
    """`start`, moved forward to the next word when it falls inside one."""
    if start <= 0 or text[start - 1] == " ":
        return max(start, 0)
    space = text.find(" ", start)
    return space + 1 if space != -1 else start


def _matches(word: str, forms: tuple[str, ...]) -> bool:
    """`word` is one of `forms` or starts with one of at least `PREFIX_MIN_CHARS` characters."""
    exact, prefixes = _matcher(forms)
    return word in exact or word.startswith(prefixes)


@functools.lru_cache(maxsize=256)
def _matcher(forms: tuple[str, ...]) -> tuple[frozenset[str], tuple[str, ...]]:
    """`forms` as a set and a tuple of prefixes, once per query: every word of every snippet is checked against them."""
    return frozenset(forms), tuple(form for form in forms if len(form) >= PREFIX_MIN_CHARS)


def _window_start(matches: list[tuple[int, int]], length: int) -> int:
    """Start of the window holding the most matches; 0 when there are none."""
    if not matches:
        return 0
    best_start, best_count, last = matches[0][0], 0, 0
    for first, (m_start, _) in enumerate(matches):  # two pointers: matches[first:last] fit in one window
        last = max(last, first)
        while last < len(matches) and matches[last][0] < m_start + length:
            last += 1
        if last - first > best_count:
            best_start, best_count = m_start, last - first
    # A little context before the first match, starting at a word boundary.
    start = max(0, best_start - length // 5)
    return start
