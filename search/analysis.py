"""The one text analyser for the hub index: the same terms at index time and at query time (DESIGN.md §4).

Both backends index the `*_terms` fields with a plain whitespace analyser, so everything language-specific happens
here, once, in Python:

- Korean goes through Kiwi (`kiwipiepy`, CoNg model): nouns, verb/adjective lemmas (줄였다 → 줄이다), foreign words,
  numbers and hanja are kept; particles, endings and suffix morphemes are dropped (플랫폼을/플랫폼의 → 플랫폼).
- Latin words are NFKC-normalised, lower-cased, stop words dropped and Snowball-stemmed (reports → report).
- Compounds: Korean writers space compounds freely (참여예산 / 참여 예산). Each noun is first cut into its finest parts
  (Kiwi's own split, or, for a noun Kiwi keeps whole, its runner-up analysis when that is nouns only and nearly as
  likely: 횡단보도 → 횡단 + 보도). Within a run of nouns separated by nothing or by spaces, every part and every join
  of up to `JOIN_MAX_PARTS` neighbouring parts is emitted. The term set therefore depends only on the sequence of
  parts, not on the spacing, so 참여예산 and 참여 예산 produce the same terms and find each other in both directions.
- Synonyms: `data/synonyms.csv` lists groups (IoT, 사물인터넷, internet of things). Each phrase is analysed like
  content; wherever a run of terms spells a phrase, the group's one canonical term (`syn:iot`) is emitted in
  addition to the original terms, at index and query time alike, so a multi-word synonym matches without widening
  the query (and an exact word still ranks on its own terms).

Kiwi takes about 1.6-2.6 s and about 500 MB to load, so there is one instance per process, loaded lazily on first use
or eagerly by `analysis_preload()` in servers that fork after loading (gunicorn `--preload`), where the workers share
its pages. It is built single-threaded (`num_workers=0`): a Kiwi thread pool does not survive `fork()`.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import multiprocessing
import os
import re
import threading
import unicodedata
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import snowballstemmer

if TYPE_CHECKING:
    from kiwipiepy import Kiwi, Token

# CoNg is the model the design's throughput and memory figures assume; kiwipiepy 0.24 picks it by default, named here
# so that a change of default in a later release does not silently change every stored term.
KIWI_MODEL_TYPE = "cong"
# Queries longer than this are cut: nobody types more, and Kiwi is slow on pathological strings (about 0.14 s for
# 1,000 Hangul syllables without a space), which a search box must not let anyone trigger with 10,000.
QUERY_MAX_CHARS = 1_000
# Content longer than this is cut before analysis, so that one huge document cannot stall an indexing worker.
INDEX_MAX_CHARS = 500_000
# Suggestions: a typed Latin word of at least this many letters loses its last `ENGLISH_PREFIX_TRIM` letters, the
# most an English stem drops (reporting → report).
ENGLISH_PREFIX_MIN_CHARS = 6
ENGLISH_PREFIX_TRIM = 3
# A query of more words than this is cut: the clauses beyond carry too little to rank on and only slow the query.
QUERY_MAX_CLAUSES = 10
# The longest join emitted for a run of nouns: 주민 + 참여 + 예산 → 주민참여예산.
JOIN_MAX_PARTS = 3
# A noun Kiwi keeps whole is split into its runner-up analysis only if that scores at most this much worse (log
# probability): 교통사고 → 교통 + 사고 (2.8) and 블록체인 → 블록 + 체인 (8.9), but not 챗봇 → 챗 + 봇 (14.9).
SPLIT_MAX_SCORE_GAP = 10.0
# Only nouns at least this long are worth a second look for a split.
SPLIT_MIN_CHARS = 3
SYNONYM_PREFIX = "syn:"
SYNONYMS_PATH = Path(__file__).resolve().parent / "data" / "synonyms.csv"

NOUN_TAGS = frozenset({"NNG", "NNP"})
# Endings that make a noun of a verb (돌보 + ㅁ → 돌봄); Kiwi gives the final ㅁ as a conjoining jamo.
NOMINALISERS = frozenset({"ᆷ", "음", "ㅁ"})
# Numerals (하나, 셋), roots (깨끗) and hanja are kept as terms but do not join with neighbouring nouns.
OTHER_KEPT_TAGS = frozenset({"NR", "XR", "SH"})
ENGLISH_STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between both
    but by can could did do does doing down during each few for from further had has have having he her here hers
    herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on once
    only or other our ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves""".split()
)
# Acronyms (IT, ITS, GIS) are neither stop words nor stemmed: "ITS" is not "its", and "IT" is not "its" stemmed.
ACRONYM_MAX_CHARS = 5
# ...except the capitalised words people type as query operators or headline words: "foo AND bar" is "foo and bar".
NOT_ACRONYMS = frozenset({"A", "AN", "AND", "OR", "NOT", "THE", "OF", "TO", "IN", "ON", "FOR", "BY", "WITH"})
# Kiwi reads a Latin word before a full stop as a possible abbreviation ("study." → "st" + "udy."): part them.
_LATIN_PUNCTUATION_RE = re.compile(r"(?<=[A-Za-z])(?=[.!?,;:])")
# C0/C1 controls, zero-width and bidi formatting characters; tab and newline stay (a newline ends a run of nouns).
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_SPACES_ONLY_RE = re.compile(r"[ \t\u00a0\u3000]*")

_kiwi: Kiwi | None = None
_kiwi_lock = threading.Lock()
_stemmer = snowballstemmer.stemmer("english")


def analysis_preload() -> None:
    """Load Kiwi and the synonym table now; for servers that load before forking so workers share the pages."""
    _kiwi_get()
    _synonyms()


def terms(text: str) -> list[str]:
    """Normalised terms of `text` for the `*_terms` fields, in order of first appearance, without duplicates."""
    text = _clean(text)[:INDEX_MAX_CHARS]
    if not text.strip():
        return []
    return _analyse(text, _kiwi_get().tokenize(text))[0]


def clean_query(text: str) -> str:
    """A query as the service keeps it: NFKC, no control characters, at most `QUERY_MAX_CHARS` characters."""
    return _clean(text)[:QUERY_MAX_CHARS].strip()


@dataclass(frozen=True)
class QueryStructure:
    """A query as the backends match it (search/service.py): one clause per word, any of whose terms satisfies it.

    A clause holds the word's term and the `syn:` id of every synonym phrase the word is part of, so 사물인터넷
    (clauses 사물|syn:iot, 인터넷|syn:iot) finds a text that only says IoT. Joins of compound parts are boosts.
    """

    clauses: tuple[tuple[str, ...], ...]
    joins: tuple[str, ...]
    synonyms: tuple[str, ...]


def query_structure(text: str) -> QueryStructure:
    text = clean_query(text)
    if not text:
        return QueryStructure(clauses=(), joins=(), synonyms=())
    all_terms, units = _analyse(text, _kiwi_get().tokenize(text))
    spans = list(_synonym_spans(units))
    clauses: dict[str, tuple[str, ...]] = {}
    for index, unit in enumerate(units):
        covering = tuple(dict.fromkeys(syn for syn, start, end in spans if start <= index < end))
        clauses[unit] = tuple(dict.fromkeys((*clauses.get(unit, (unit,)), *covering)))
    unit_set = set(units)
    joins = tuple(t for t in all_terms if t not in unit_set and not t.startswith(SYNONYM_PREFIX))
    synonyms = tuple(dict.fromkeys(syn for syn, _start, _end in spans))
    return QueryStructure(clauses=tuple(clauses.values()), joins=joins, synonyms=synonyms)


def query_terms(text: str) -> list[str]:
    """Terms of a search query: the index pipeline on at most `QUERY_MAX_CHARS` characters.

    Synonyms are not expanded further at query time: the canonical `syn:` term is already in both the document's
    and the query's terms, so the query stays as narrow as the words the user typed.
    """
    return terms(_clean(text)[:QUERY_MAX_CHARS])


def prefix_terms(text: str) -> list[str]:
    """Terms for search-box suggestions: the analysed complete words plus the last, possibly unfinished, word as typed.

    The last word is only normalised (NFKC, lower case), never analysed: Kiwi would read "스마트횡" as a finished word.
    Match it as a prefix of stored terms and the rest as whole terms.
    """
    text = _clean(text)[:QUERY_MAX_CHARS]
    head, _, last = text.rstrip().rpartition(" ")
    if not last:
        return []
    if text != text.rstrip():  # a trailing space means the last word is finished
        return terms(text)
    return [*terms(head), _prefix_of(last.lower())]


def _prefix_of(word: str) -> str:
    """The typed start of a word as a prefix of stored terms. English terms are stems (monitoring → monitor), so a
    longer Latin word is cut to what its stem surely starts with: "monitori" matches "monitor"."""
    if word.isascii() and word.isalpha() and len(word) >= ENGLISH_PREFIX_MIN_CHARS:
        return word[: max(ENGLISH_PREFIX_MIN_CHARS - 2, len(word) - ENGLISH_PREFIX_TRIM)]
    return word


def terms_batch(texts: list[str], workers: int | None = None) -> list[list[str]]:
    """`[terms(t) for t in texts]` on several cores, for reindexing and imports.

    Kiwi holds the GIL while it analyses, so threads do not help; a process pool does. The pool forks, so a Kiwi
    already loaded here is shared with the children page by page rather than loaded again. Small batches and
    `workers=1` stay in this process.
    """
    workers = workers or os.cpu_count() or 1
    if workers <= 1 or len(texts) < 2 * workers:
        return [terms(t) for t in texts]
    analysis_preload()  # before the fork, so the children share this Kiwi instead of loading one each
    chunksize = max(1, len(texts) // (workers * 8))
    with multiprocessing.get_context("fork").Pool(workers, initializer=_batch_worker_start) as pool:
        return pool.map(terms, texts, chunksize=chunksize)


def _batch_worker_start() -> None:
    """Each worker in a session of its own. With the kernel's autogroup scheduling (on by default in desktop and
    shared-machine kernels) CPU time is shared between sessions, not processes: workers left in the caller's session
    split that one session's share, and on a busy machine two of them got no more CPU than one (0.9 cores together)."""
    with contextlib.suppress(OSError):
        os.setsid()


def synonym_groups() -> dict[str, tuple[str, ...]]:
    """The curated groups as written in `data/synonyms.csv`: canonical id → phrases."""
    groups: dict[str, tuple[str, ...]] = {}
    with SYNONYMS_PATH.open(encoding="utf-8", newline="") as f:
        for row in csv.reader(line for line in f if line.strip() and not line.startswith("#")):
            cells = [cell.strip() for cell in row if cell.strip()]
            groups[cells[0]] = tuple(cells[1:])
    return groups


def kiwi_model_type() -> str:
    """The language model the loaded Kiwi uses (for benchmarks and diagnostics)."""
    return str(_kiwi_get().model_type)


def _kiwi_get() -> Kiwi:
    """The process's one Kiwi, built on first use under a lock so concurrent first queries load it only once."""
    global _kiwi
    if _kiwi is None:
        with _kiwi_lock:
            if _kiwi is None:
                from kiwipiepy import Kiwi

                with warnings.catch_warnings():
                    # kiwipiepy warns that 0 no longer means "all cores"; single-threaded is what we want (fork-safe).
                    warnings.simplefilter("ignore", DeprecationWarning)
                    kiwi = Kiwi(num_workers=0, model_type=KIWI_MODEL_TYPE)
                kiwi.tokenize("")  # Kiwi finishes loading on first use; pay for it here, not in a request.
                _kiwi = kiwi
    return _kiwi


def _clean(text: str) -> str:
    """NFKC (full-width Latin and digits become ASCII, compatibility jamo compose) with control characters as spaces."""
    text = _CONTROL_RE.sub(" ", unicodedata.normalize("NFKC", text or ""))
    return _LATIN_PUNCTUATION_RE.sub(" ", text)


def _analyse(text: str, tokens: Iterable[Token]) -> tuple[list[str], list[str]]:
    """Turn Kiwi's tokens into terms (kept units in order, noun-run parts and joins, then synonym ids) and units."""
    out: dict[str, None] = {}  # an ordered set
    units: list[str] = []  # the kept terms in text order, parts rather than compounds; synonyms are spelt over these
    run: list[str] = []  # parts of the current run of nouns
    run_end = -1  # where the last noun of the run ends in `text`
    tokens = list(tokens)
    for index, token in enumerate(tokens):
        tag = token.tag
        if tag == "XR" and index + 1 < len(tokens) and tokens[index + 1].form == "하":
            # 깨끗한 is 깨끗 (root) + 하 (suffix) but 깨끗하다 is one adjective: give both the adjective's lemma.
            _run_flush(run, out)
            out[token.form + "하다"] = None
            units.append(token.form + "하다")
            continue
        if tag == "XSN" and run and token.start == run_end:
            # A noun suffix belongs to its noun: 자동 + 화 → 자동화, 지능 + 형 → 지능형.
            run[-1] += token.form
            units[-1] += token.form
            run_end = token.end
            continue
        if tag in NOUN_TAGS:
            if run and not _SPACES_ONLY_RE.fullmatch(text, run_end, token.start):
                _run_flush(run, out)
            # Kiwi's multi-word dictionary yields nouns with spaces (지리 정보 시스템); a term never has one.
            parts = [part for word in token.form.split() for part in _noun_parts(word)]
            run.extend(parts)
            units.extend(parts)
            run_end = token.end
            continue
        if tag[:2] in ("VV", "VA") and index + 1 < len(tokens) and tokens[index + 1].form in NOMINALISERS:
            # 돌봄 at the end of a query is read as 돌보 + ㅁ: keep the noun as written, which is what content has.
            _run_flush(run, out)
            noun = text[token.start : tokens[index + 1].end]
            out[noun] = None
            units.append(noun)
            continue
        if tag.startswith(("J", "E", "XS", "XP", "VC", "VX", "S", "W")) and tag not in ("SL", "SN", "SH"):
            # Particles, endings, affixes and punctuation leave a run of nouns open: "참여 예산을" is still one run,
            # but the next noun must follow with only spaces between (checked above).
            continue
        _run_flush(run, out)
        term = _term(token)
        if term:
            out[term] = None
            units.append(term)
    _run_flush(run, out)
    for synonym, _start, _end in _synonym_spans(units):
        out[synonym] = None
    return list(out), units


def _term(token: Token) -> str | None:
    """The term for a kept non-noun token, or None for one that carries no meaning for search."""
    tag = token.tag
    if tag == "SL":
        return _english(token.form)
    if tag == "SN":
        return token.form.replace(",", "")
    if tag[:2] in ("VV", "VA"):  # VV, VA and the irregular VV-I, VA-R ...
        return token.lemma
    if tag in OTHER_KEPT_TAGS:
        return token.form
    return None  # NNB (개, 년), NP (pronouns), MM, MAG, IC ...


def _run_flush(run: list[str], out: dict[str, None]) -> None:
    """Emit a run of noun parts and every join of up to `JOIN_MAX_PARTS` neighbours, then empty the run."""
    for i in range(len(run)):
        out[run[i]] = None
        joined = run[i]
        for j in range(i + 1, min(i + JOIN_MAX_PARTS, len(run))):
            joined += run[j]
            out[joined] = None
    run.clear()


@functools.lru_cache(maxsize=200_000)
def _english(word: str) -> str | None:
    """Lower-case and stem a Latin word; stop words give None. Cached: the vocabulary is small, the text is not."""
    if len(word) <= ACRONYM_MAX_CHARS and word.isupper() and word not in NOT_ACRONYMS:
        return word.lower()
    lower = word.lower()
    if lower in ENGLISH_STOP_WORDS:
        return None
    return _stemmer.stemWord(lower)


@functools.lru_cache(maxsize=200_000)
def _noun_parts(noun: str) -> tuple[str, ...]:
    """The finest parts of a noun Kiwi kept whole: its analysis on its own, or else its runner-up analysis,
    recursively, when that is nouns only.

    Kiwi already splits most compounds it has seen spaced (참여예산 → 참여 + 예산); this catches the ones its
    dictionary lists whole (횡단보도, 교통사고), so that 횡단 보도 and 횡단보도 give the same parts. Cached per noun.
    """
    if len(noun) < SPLIT_MIN_CHARS or not all("\uac00" <= ch <= "\ud7a3" for ch in noun):
        return (noun,)
    (best, best_score), *others = _kiwi_get().analyze(noun, top_n=2)
    if len(best) > 1:
        # In context Kiwi kept the noun whole, alone it splits it (독거노인 → 독거 + 노인): the parts a query gets.
        tokens = best
    elif not others:
        return (noun,)
    else:
        tokens, score = others[0]
        if best_score - score > SPLIT_MAX_SCORE_GAP:
            return (noun,)
    if len(tokens) < 2 or any(t.tag not in NOUN_TAGS for t in tokens) or "".join(t.form for t in tokens) != noun:
        return (noun,)
    return tuple(part for t in tokens for part in _noun_parts(t.form))


def _synonym_spans(units: list[str]) -> Iterator[tuple[str, int, int]]:
    """(canonical term, first unit, end unit) of every synonym phrase spelt by consecutive units (빅 데이터 = 빅데이터)."""
    keys, prefixes = _synonyms()
    for i in range(len(units)):
        spelt = ""
        for j, unit in enumerate(units[i : i + 8], start=i + 1):
            spelt += unit
            if spelt in keys:
                yield keys[spelt], i, j
            if spelt not in prefixes:
                break


@functools.cache
def _synonyms() -> tuple[dict[str, str], frozenset[str]]:
    """Each phrase analysed like content and spelt without spaces → its `syn:` term, plus every prefix of those spellings.

    Phrases are analysed rather than matched as raw strings, so "internet of things" matches "Internet of Things",
    "로봇 프로세스 자동화를" and plurals exactly as the content is analysed.
    """
    keys: dict[str, str] = {}
    for canonical, phrases in synonym_groups().items():
        for phrase in phrases:
            units = _units(phrase)
            if units:
                keys["".join(units)] = SYNONYM_PREFIX + canonical
    prefixes = frozenset(key[:n] for key in keys for n in range(1, len(key) + 1))
    return keys, prefixes


def _units(phrase: str) -> list[str]:
    """The unit sequence `_analyse` spells synonyms over, for one phrase."""
    text = _clean(phrase)
    units: list[str] = []
    for token in _kiwi_get().tokenize(text):
        if token.tag == "XSN" and units:
            units[-1] += token.form
        elif token.tag in NOUN_TAGS:
            units.extend(part for word in token.form.split() for part in _noun_parts(word))
        elif term := _term(token):
            units.append(term)
    return units
