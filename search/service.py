"""The one search API of the hub (DESIGN.md §4), used by the search page, the JSON API and the digests.

    search(SearchRequest(text="미세먼지", filters=SearchFilters(region="31000")), viewer=request.user) -> SearchResult
    similar_cases(case, viewer=request.user) -> list[SimilarCase]
    suggest("스마트횡", viewer=request.user) -> list[Suggestion]
    match([MatchRequest(...), ...]) -> list[list[Match]]   (digests and notifications: hub/matching.py)
    match_batches(iter([(tag, [MatchRequest(...), ...]), ...]), run=MatchRun()) -> (tag, list[list[Match]]), ...

Every call carries the viewer; the backend only ever sees the audiences that viewer may read (`viewer_audiences`),
so nothing a viewer could not open reaches a page, an API answer or a digest. Query text goes through the same
analyser as content (search/analysis.py) and reaches the backend as terms only: whatever a user types is text,
never query syntax. Parameter errors raise `SearchParameterError`; a backend that cannot answer raises
`SearchUnavailable` (the page shows a friendly message, the API answers 503).
"""

from __future__ import annotations

import collections
import concurrent.futures
import datetime
import functools
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import TypeVar

from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from hub import permissions

from . import analysis
from .backends import SearchUnavailable, get_backend
from .backends.base import BackendQuery, Criterion, MatchHit, MatchQuery
from .documents import FEATURED
from .highlight import highlight_forms, snippet
from .labels import facet_labels, label_for

__all__ = [
    "DOCUMENT_TYPES",
    "FacetValue",
    "Hit",
    "Match",
    "MatchCriterion",
    "MatchRequest",
    "SearchFilters",
    "SearchParameterError",
    "SearchRequest",
    "SearchResult",
    "SearchUnavailable",
    "SimilarCase",
    "Suggestion",
    "match",
    "member_audiences",
    "search",
    "similar_cases",
    "suggest",
    "viewer_audiences",
]

DOCUMENT_TYPES = {
    "case": _("사례"),
    "log": _("프로젝트 로그"),
    "post": _("커뮤니티 글"),
    "community": _("커뮤니티"),
    "showcase": _("쇼케이스"),
}
SORTS = ("relevance", "newest")
FACETS = ("region", "municipality", "sector", "technology", "stage", "year", "type", "lang", "featured", "award")
FACET_SIZES = {
    "region": 20,
    "municipality": 30,
    "sector": 20,
    "technology": 30,
    "stage": 10,
    "year": 30,
    "type": 10,
    "lang": 5,
    "featured": 1,
    "award": 20,
}
MAX_PAGE_SIZE = 100
# Deep pages cost the backend more than anyone gains from them (and Elasticsearch caps from + size at 10,000).
MAX_RESULT_WINDOW = 10_000
SIMILAR_CANDIDATES = 24
SIMILAR_MIN_RELATIVE_SCORE = 0.3
SUGGEST_LIMIT = 8
# Similar-project matching: a document must share a third of the case's most distinctive terms.
MATCH_SIMILAR_TERMS = 12
MATCH_SIMILAR_SHARE = 1 / 3
MATCH_MAX_EXCLUDED = 20_000
MATCH_FILTERS = ("region", "municipality", "sector", "technology", "stage", "type", "year", "lang", "place", "author", "case", "community")
T = TypeVar("T")  # what a caller of match_batches tags each batch with


class SearchParameterError(ValueError):
    """A search parameter the service cannot use; `parameter` names it, `reason` says why (shown as is)."""

    def __init__(self, parameter: str, reason: str) -> None:
        super().__init__(f"{parameter}: {reason}")
        self.parameter, self.reason = parameter, reason


# Requests --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchFilters:
    """Facet filters, each one value: codes for places, slugs for vocabularies, a year, a type and a language."""

    region: str = ""  # 시도 code, e.g. 41000
    municipality: str = ""  # 시군구 code (41110) or foreign city code (FI:Helsinki)
    sector: str = ""
    technology: str = ""
    stage: str = ""
    type: str = ""  # one of DOCUMENT_TYPES
    year: int | None = None
    lang: str = ""  # ko | en
    featured: str = ""  # "yes": only cases the curators feature
    award: str = ""  # award slug, e.g. best-practice

    def active(self) -> dict[str, str | int]:
        return {name: value for name, value in self.__dict__.items() if value not in ("", None)}


@dataclass(frozen=True)
class SearchRequest:
    text: str = ""
    filters: SearchFilters = field(default_factory=SearchFilters)
    sort: str = "relevance"  # relevance | newest (an empty text always sorts newest)
    page: int = 1
    page_size: int = 20


# Results ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int


@dataclass(frozen=True)
class Hit:
    id: str  # "<type>:<pk>", unique in the index
    type: str
    key: str  # the case key for cases; "<type>-<pk>" for the rest
    title: str
    url: str
    region: str  # 시도 code or ""
    municipality: str  # 시군구 or foreign city code, or ""
    sectors: tuple[str, ...]
    technologies: tuple[str, ...]
    stage: str
    year: int | None
    language: str
    published_at: datetime.datetime | None
    snippet: str  # safe HTML: escaped text with <mark> around matched words
    score: float
    source: dict = field(repr=False, compare=False, default_factory=dict)

    @property
    def type_label(self) -> str:
        return str(DOCUMENT_TYPES.get(self.type, self.type))

    @property
    def region_label(self) -> str:
        return label_for("region", self.region) if self.region else ""

    @property
    def municipality_label(self) -> str:
        return label_for("municipality", self.municipality) if self.municipality else ""

    @property
    def sector_labels(self) -> list[str]:
        return [label_for("sector", slug) for slug in self.sectors]

    @property
    def technology_labels(self) -> list[str]:
        return [label_for("technology", slug) for slug in self.technologies]

    @property
    def stage_label(self) -> str:
        return label_for("stage", self.stage) if self.stage else ""

    @property
    def is_featured(self) -> bool:
        return FEATURED in (self.source.get("featured") or ())

    @property
    def awards(self) -> tuple[str, ...]:
        return tuple(self.source.get("awards") or ())

    @property
    def award_labels(self) -> list[str]:
        return [label_for("award", slug) for slug in self.awards]


@dataclass
class SearchResult:
    request: SearchRequest
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]

    @cached_property
    def page_count(self) -> int:
        # The last page the service serves: page × page_size may not pass MAX_RESULT_WINDOW.
        size = self.request.page_size
        return max(1, min(math.ceil(self.total / size), MAX_RESULT_WINDOW // size))

    @property
    def has_next(self) -> bool:
        return self.request.page < self.page_count

    @property
    def has_previous(self) -> bool:
        return self.request.page > 1


@dataclass(frozen=True)
class SimilarCase:
    hit: Hit
    same_region: bool
    shared_sectors: tuple[str, ...]
    shared_technologies: tuple[str, ...]
    shared_terms: tuple[str, ...]  # a few distinctive words both cases use

    @property
    def reasons(self) -> list[str]:
        """Why this case is similar, for people: "분야: 환경", "기술: IoT, AI", "공통 주제어: 미세먼지, 측정망"."""
        # Labels outside the f-strings: xgettext does not read calls inside them.
        sector_label, technology_label, terms_label = _("분야"), _("기술"), _("공통 주제어")
        reasons = []
        if self.shared_sectors:
            reasons.append(f"{sector_label}: {', '.join(label_for('sector', s) for s in self.shared_sectors)}")
        if self.shared_technologies:
            reasons.append(f"{technology_label}: {', '.join(label_for('technology', t) for t in self.shared_technologies)}")
        if self.shared_terms:
            reasons.append(f"{terms_label}: {', '.join(self.shared_terms)}")
        return reasons


@dataclass(frozen=True)
class Suggestion:
    text: str
    type: str
    url: str


@dataclass(frozen=True)
class MatchCriterion:
    """One reason to pick a document for someone: all of `filters` (name in MATCH_FILTERS → any of the values),
    the `text` (as the search box reads it), and/or resemblance to the case `similar_to` (a document id). `peer`
    criteria leave out documents of the requester's own local government (`MatchRequest.own_places`)."""

    name: str
    weight: float = 1.0
    filters: dict[str, tuple] = field(default_factory=dict)
    text: str = ""
    similar_to: str = ""
    peer: bool = False


@dataclass(frozen=True)
class MatchRequest:
    """What one reader gets from documents published or changed in [published_from, published_until)."""

    criteria: tuple[MatchCriterion, ...]
    audiences: tuple[str, ...]  # viewer_audiences / member_audiences: what the reader may open
    include_lessons: bool
    published_from: datetime.datetime
    published_until: datetime.datetime
    own_places: tuple[str, ...] = ()  # place codes of the reader's own local government
    exclude_authors: tuple[str, ...] = ()  # user ids: the reader's own writing
    exclude_documents: frozenset[str] = frozenset()
    size: int = 50


@dataclass(frozen=True)
class Match:
    hit: Hit
    criteria: tuple[str, ...]  # names of the criteria the document meets


@dataclass
class MatchRun:
    """What the batches of one matching run (one `match_batches` call: a whole digest run, one batch of a
    notifications refresh) share: the distinctive terms of each case compared with, and the source of each document
    listed (thousands of members get the same ones).
    Read once per run, so a document edited during the run is listed as it was when the run first read it."""

    distinctive: dict[str, list[str]] = field(default_factory=dict)
    sources: dict[str, dict] = field(default_factory=dict)  # written by the backend thread of match_batches only
    hits: dict[str, Hit] = field(default_factory=dict)  # the listed form of each source, with no score


# The API ----------------------------------------------------------------------------------------------------------


def search(request: SearchRequest, *, viewer) -> SearchResult:
    """One page of what `viewer` may read that matches `request`, with facet counts over all of it."""
    request = _validated(request)
    compiled = compile_text(request.text)
    if request.text and not compiled.clauses:
        # Only punctuation, operators or stop words ("*:*", "the"): nothing to match, and never "everything".
        return SearchResult(request=request, total=0, hits=[], facets={name: [] for name in FACETS})
    sort = request.sort if compiled.clauses else "newest"
    query = BackendQuery(
        clauses=compiled.clauses,
        min_match=compiled.min_match,
        boosts=compiled.boosts,
        filters=request.filters.active(),
        audiences=viewer_audiences(viewer),
        include_lessons=permissions.can_read_members_only(viewer),
        sort=sort,
        offset=(request.page - 1) * request.page_size,
        size=request.page_size,
        facets=FACET_SIZES,
    )
    raw = get_backend().search(query)
    forms = highlight_forms(compiled)
    hits = [_hit(source, score, forms) for source, score in raw.hits]
    return SearchResult(request=request, total=raw.total, hits=hits, facets=facet_labels(raw.facets))


def similar_cases(case, *, viewer, limit: int = 5) -> list[SimilarCase]:
    """The published cases most like `case` that `viewer` may read; cases of other regions first, then the rest."""
    audiences = viewer_audiences(viewer)
    backend = get_backend()
    source = backend.get(f"case:{case.pk}")
    if source is None:
        return []
    candidates = backend.similar(source, audiences=audiences, limit=SIMILAR_CANDIDATES)
    if candidates:
        # A case sharing one stray word is not similar: keep those within reach of the best match.
        best = candidates[0][1]
        candidates = [(hit, score) for hit, score in candidates if score >= best * SIMILAR_MIN_RELATIVE_SCORE]
    source_terms = _distinctive_terms(source)
    similar = [_similar(source, source_terms, hit_source, score) for hit_source, score in candidates]
    # Stable: within each group the backend's similarity order stands.
    similar.sort(key=lambda s: s.same_region)
    return similar[:limit]


def suggest(text: str, *, viewer, limit: int = SUGGEST_LIMIT) -> list[Suggestion]:
    """Titles for the search box as the user types: every finished word matches, the last one as a prefix."""
    *complete, prefix = analysis.prefix_terms(text) or [""]
    if not prefix:
        return []
    sources = get_backend().suggest(complete=complete, prefix=prefix, audiences=viewer_audiences(viewer), limit=limit)
    return [Suggestion(text=s["title"], type=s["type"], url=s["url"]) for s in sources]


def match(requests: list[MatchRequest], *, run: MatchRun | None = None) -> list[list[Match]]:
    """For each request, the documents that meet at least one of its criteria, best first, with the criteria they
    meet; one batched backend call for all of them."""
    [(_tag, matches)] = match_batches([(None, requests)], run=run)
    return matches


def match_batches(batches: Iterable[tuple[T, list[MatchRequest]]], *, run: MatchRun | None = None) -> Iterator[tuple[T, list[list[Match]]]]:
    """`match` for each (tag, requests) batch, yielded in order with its tag, pipelined: while the backend answers
    one batch, this thread takes the next from `batches` (the caller's database reads) and the caller uses the one
    before. Only backend calls run in the helper thread; `batches` and the query text analysis stay in the caller's.
    Raises SearchUnavailable where the failed batch would have been yielded."""
    backend = get_backend()
    run = MatchRun() if run is None else run
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="match") as backend_thread:
        pending: collections.deque = collections.deque()
        for tag, requests in batches:
            queries = [_match_query(request, backend, run.distinctive) for request in requests]
            answers = backend_thread.submit(_backend_answers, backend, [query for query in queries if query is not None], run)
            pending.append((tag, requests, queries, answers))
            if len(pending) > 1:
                tag, requests, queries, answers = pending.popleft()
                yield tag, _batch_matches(requests, queries, answers.result(), run)
        while pending:
            tag, requests, queries, answers = pending.popleft()
            yield tag, _batch_matches(requests, queries, answers.result(), run)


def _backend_answers(backend, queries: list[MatchQuery], run: MatchRun) -> list[list[MatchHit]]:
    """The hits of `queries`, with every source they need in `run.sources` (only this thread writes it)."""
    if not queries:
        return []
    answers = backend.match(queries)
    missing = list(dict.fromkeys(hit.id for hits in answers for hit in hits if hit.id not in run.sources))
    if missing:
        run.sources.update(backend.match_sources(missing))
    return answers


def _batch_matches(
    requests: list[MatchRequest], queries: list[MatchQuery | None], answers: list[list[MatchHit]], run: MatchRun
) -> list[list[Match]]:
    answered = iter(answers)  # one answer per query that was sent
    results = []
    for request, query in zip(requests, queries, strict=True):
        hits = next(answered) if query is not None else []
        matches = [
            Match(hit=_match_hit(run, h), criteria=h.matched)
            for h in hits
            if h.id in run.sources and h.id not in request.exclude_documents  # not in sources: deleted since
        ]
        results.append(matches[: request.size])
    return results


def member_audiences(users) -> dict[int, list[str]]:
    """`viewer_audiences` of many users at once (digests): user pk → audiences, in two queries."""
    from communities.models import CommunityPage, Membership

    users = list(users)
    permissions.groups_preload(users)
    memberships: dict[int, list[int]] = {}
    for user_id, community_id in Membership.objects.active().filter(user__in=users).values_list("user_id", "community_id"):
        memberships.setdefault(user_id, []).append(community_id)
    every_community = None
    audiences = {}
    for user in users:
        if not permissions.can_read_members_only(user):
            audiences[user.pk] = ["public"]
            continue
        if permissions.is_curator(user):
            if every_community is None:
                every_community = list(CommunityPage.objects.values_list("pk", flat=True))
            communities = every_community
        else:
            communities = memberships.get(user.pk, [])
        audiences[user.pk] = ["public", "members", *(f"community:{pk}" for pk in communities)]
    return audiences


def viewer_audiences(viewer) -> list[str]:
    """The audience values of index documents this viewer may read (see search/documents.py for who gets which)."""
    from communities.models import CommunityPage, Membership

    if not permissions.can_read_members_only(viewer):
        return ["public"]
    if permissions.is_curator(viewer):
        communities = CommunityPage.objects.values_list("pk", flat=True)
    else:
        communities = Membership.objects.active().filter(user=viewer).values_list("community_id", flat=True)
    return ["public", "members", *(f"community:{pk}" for pk in communities)]


# Query text -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompiledText:
    """What the backends match: each clause is satisfied by any of its terms; `min_match` clauses must be."""

    clauses: tuple[tuple[str, ...], ...]
    min_match: int
    boosts: tuple[str, ...]  # compound joins: they raise the score of exact compounds, they are never required
    synonyms: tuple[str, ...]


@functools.lru_cache(maxsize=4096)
def compile_text(text: str) -> CompiledText:
    structure = analysis.query_structure(text)
    clauses = structure.clauses[: analysis.QUERY_MAX_CLAUSES]
    return CompiledText(clauses=clauses, min_match=required_clauses(len(clauses)), boosts=structure.joins, synonyms=structure.synonyms)


def required_clauses(count: int) -> int:
    """One or two words must all match; longer queries two in three (ranked by how many match), so one stray
    word does not empty the page."""
    return count if count <= 2 else math.ceil(count * 0.66)


# Internals --------------------------------------------------------------------------------------------------------


def _validated(request: SearchRequest) -> SearchRequest:
    from .labels import known_value

    if request.sort not in SORTS:
        raise SearchParameterError("sort", f"'{request.sort}' is not one of {', '.join(SORTS)}.")
    if request.page < 1:
        raise SearchParameterError("page", "must be 1 or more.")
    if not 1 <= request.page_size <= MAX_PAGE_SIZE:
        raise SearchParameterError("page_size", f"must be between 1 and {MAX_PAGE_SIZE}.")
    if request.page * request.page_size > MAX_RESULT_WINDOW:
        raise SearchParameterError("page", f"results are available up to the {MAX_RESULT_WINDOW:,}th; narrow the search with filters.")
    filters = request.filters
    for name, value in filters.active().items():
        if name == "year":
            if not 1900 <= int(value) <= 2100:
                raise SearchParameterError("year", f"'{value}' is not a year between 1900 and 2100.")
            continue
        if not known_value(name, str(value)):
            raise SearchParameterError(name, f"unknown {name} '{value}'.")
    return replace(request, text=analysis.clean_query(request.text))


def _match_query(request: MatchRequest, backend, distinctive: dict[str, list[str]]) -> MatchQuery | None:
    criteria = tuple(c for c in (_criterion(c, request, backend, distinctive) for c in request.criteria) if c is not None)
    if not criteria:
        return None
    excluded = sorted(request.exclude_documents)
    return MatchQuery(
        criteria=criteria,
        audiences=list(request.audiences),
        include_lessons=request.include_lessons,
        published_from=_utc_iso(request.published_from),
        published_until=_utc_iso(request.published_until),
        exclude_authors=request.exclude_authors,
        # Beyond the cap the service filters what comes back (the page may then be shorter than `size`).
        exclude_ids=tuple(excluded[:MATCH_MAX_EXCLUDED]),
        size=request.size,
    )


def _criterion(criterion: MatchCriterion, request: MatchRequest, backend, distinctive: dict[str, list[str]]) -> Criterion | None:
    """The backend's form of a criterion; None when it cannot match anything (text of stop words only, a case with
    no words of its own)."""
    unknown = set(criterion.filters) - set(MATCH_FILTERS)
    if unknown:
        raise SearchParameterError(sorted(unknown)[0], "not a match filter.")
    clauses, min_match = (), 0
    if criterion.text:
        compiled = compile_text(analysis.clean_query(criterion.text))
        if not compiled.clauses:
            return None
        clauses, min_match = compiled.clauses, compiled.min_match
    elif criterion.similar_to:
        if criterion.similar_to not in distinctive:
            distinctive[criterion.similar_to] = backend.distinctive_terms(criterion.similar_to, limit=MATCH_SIMILAR_TERMS)
        terms = distinctive[criterion.similar_to]
        if not terms:
            return None
        clauses, min_match = tuple((term,) for term in terms), max(2, math.ceil(len(terms) * MATCH_SIMILAR_SHARE))
    return Criterion(
        name=criterion.name,
        weight=criterion.weight,
        filters={name: tuple(values) for name, values in criterion.filters.items()},
        clauses=clauses,
        min_match=min(min_match, len(clauses)),
        exclude_places=request.own_places if criterion.peer else (),
    )


def _utc_iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat()


def _hit(source: dict, score: float, forms: tuple[str, ...]) -> Hit:
    published = source.get("published_at")
    return Hit(
        id=source["id"],
        type=source["type"],
        key=source["key"],
        title=source["title"],
        url=source["url"],
        region=source.get("region") or "",
        municipality=source.get("municipality") or "",
        sectors=tuple(source.get("sectors") or ()),
        technologies=tuple(source.get("technologies") or ()),
        stage=source.get("stage") or "",
        year=source.get("year"),
        language=source.get("language") or "",
        published_at=datetime.datetime.fromisoformat(published) if published else None,
        snippet=snippet(source.get("summary", ""), source.get("body", ""), forms),
        score=round(float(score or 0.0), 4),
        source=source,
    )


def _match_hit(run: MatchRun, found: MatchHit) -> Hit:
    """`_hit` without highlights (the snippet is the summary's opening), built once per document and run."""
    listed = run.hits.get(found.id)
    if listed is None:
        listed = run.hits[found.id] = _hit(run.sources[found.id], 0.0, ())
    return replace(listed, score=round(float(found.score or 0.0), 4))


def _distinctive_terms(source: dict) -> list[str]:
    """The source's words worth naming as a shared topic: nouns of two or more letters (no verbs, synonym ids,
    numbers or place names: sharing 광역시 says nothing about a project)."""
    words = source.get("title_terms", "").split() + source.get("body_terms", "").split()
    # Only words written as such: a stem ("safeti") or a term from the vocabularies' names reads as noise.
    written = " ".join([source.get("title", ""), source.get("summary", ""), source.get("body", "")]).lower()
    return [
        w
        for w in dict.fromkeys(words)
        if len(w) >= 2
        and not w.startswith(analysis.SYNONYM_PREFIX)
        and not w.isdigit()
        and not w.endswith("다")
        and w in written
        and w not in _place_words()
    ]


@functools.cache
def _place_words() -> frozenset[str]:
    from hub.models import Place

    words = set()
    for name, name_en in Place.objects.values_list("name", "name_en"):
        words.update(analysis.terms(f"{name} {name_en}"))
    return frozenset(words) | {"광역시", "특별시", "특별자치도", "특별자치시"}


def _similar(source: dict, source_terms: list[str], other: dict, score: float) -> SimilarCase:
    other_terms = set(other.get("title_terms", "").split()) | set(other.get("body_terms", "").split())
    shared_terms = [t for t in source_terms if t in other_terms]
    # Title words first: they say what a project is about.
    title_terms = set(source.get("title_terms", "").split())
    shared_terms.sort(key=lambda t: (t not in title_terms, -len(t)))
    return SimilarCase(
        hit=_hit(other, score, ()),
        same_region=bool(source.get("region")) and other.get("region") == source.get("region"),
        shared_sectors=tuple(s for s in other.get("sectors", []) if s in source.get("sectors", [])),
        shared_technologies=tuple(t for t in other.get("technologies", []) if t in source.get("technologies", [])),
        shared_terms=tuple(shared_terms[:4]),
    )
