"""The contract every search backend keeps (tests/contract/ holds both backends to it)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

# Filter names of the search service → document fields (search/documents.py).
FILTER_FIELDS = {
    "region": "region",
    "municipality": "municipality",
    "sector": "sectors",
    "technology": "technologies",
    "stage": "stage",
    "type": "type",
    "year": "year",
    "lang": "language",
    "featured": "featured",
    "award": "awards",
}
# Matching (digests, notifications) also selects by ownership and follows: service names → document fields.
MATCH_FIELDS = FILTER_FIELDS | {"place": "places", "author": "authors", "case": "case_id", "community": "community_id"}
# Stored as lists (SQLite: rows of doc_values; Elasticsearch: keyword arrays). `featured` is ["yes"] or [].
MULTI_VALUED = frozenset({"sectors", "technologies", "featured", "awards", "places", "authors"})
# Field weights, the same on both backends: a word in the title counts three times a word in the body.
TITLE_WEIGHT = 3.0
BODY_WEIGHT = 1.0
JOIN_WEIGHT = 1.5
# Similar cases: a shared sector or technology adds to the text similarity.
SIMILAR_SECTOR_BOOST = 6.0
SIMILAR_TECHNOLOGY_BOOST = 2.0
SIMILAR_MAX_TERMS = 30
SUGGEST_TYPE_ORDER = ("case", "community", "showcase", "log", "post")


class SearchUnavailable(RuntimeError):
    """The backend did not answer (down, unreachable or too slow); nothing is wrong with the request."""


@dataclass(frozen=True)
class BackendQuery:
    clauses: tuple[tuple[str, ...], ...]  # each satisfied by any of its terms; empty: every document
    min_match: int
    boosts: tuple[str, ...]
    filters: dict  # service filter name → value
    audiences: list[str]
    include_lessons: bool
    sort: str  # relevance | newest
    offset: int
    size: int
    facets: dict[str, int] = field(default_factory=dict)  # service facet name → how many values


@dataclass
class BackendResult:
    total: int
    hits: list[tuple[dict, float]]  # (document source, score)
    facets: dict[str, list[tuple[str, int]]]  # service facet name → [(value, count)], most frequent first


@dataclass(frozen=True)
class Criterion:
    """One reason a document may be matched. Every condition given must hold: `filters` (document field → any of
    these values, for each field), the text (`clauses`, at least `min_match` of them), and not belonging to any of
    `exclude_places`. A document matched by a criterion scores `weight` (times its text score when there is text)."""

    name: str
    weight: float = 1.0
    filters: dict[str, tuple] = field(default_factory=dict)
    clauses: tuple[tuple[str, ...], ...] = ()
    min_match: int = 0
    exclude_places: tuple[str, ...] = ()


@dataclass(frozen=True)
class MatchQuery:
    """Documents published in [published_from, published_until) (ISO, UTC) that `audiences` may read, not written
    by `exclude_authors`, not in `exclude_ids`, matching at least one criterion; best `size` first."""

    criteria: tuple[Criterion, ...]
    audiences: list[str]
    include_lessons: bool
    published_from: str
    published_until: str
    exclude_authors: tuple[str, ...] = ()
    exclude_ids: tuple[str, ...] = ()
    size: int = 50


@dataclass(frozen=True)
class MatchHit:
    id: str  # the document's id; its source comes from `SearchBackend.match_sources`
    score: float
    matched: tuple[str, ...]  # names of the criteria the document meets


# Matching lists documents, it never highlights them: what `match_sources` leaves out of each source.
MATCH_SOURCE_EXCLUDES = ("body", "lessons", "title_terms", "body_terms", "lessons_terms", "text_hash")


# (document, version) pairs to write; (document id, version) pairs to delete.
Upserts = list[tuple[dict, int]]
Deletes = list[tuple[str, int]]


class SearchBackend(ABC):
    name: str

    @abstractmethod
    def ensure_index(self) -> None:
        """Create the index (and its alias) when there is none."""

    @abstractmethod
    def bulk(self, upserts: Upserts, deletes: Deletes) -> None:
        """Write and delete documents; a write older than the stored version (by `version`) is ignored."""

    @abstractmethod
    def search(self, query: BackendQuery) -> BackendResult: ...

    @abstractmethod
    def similar(self, source: dict, *, audiences: list[str], limit: int) -> list[tuple[dict, float]]:
        """Published cases most like `source` (itself excluded), best first."""

    @abstractmethod
    def match(self, queries: list[MatchQuery]) -> list[list[MatchHit]]:
        """Each query's hits, in the order of `queries` (batched where the backend can: one msearch). Hits carry ids
        only: a digest run lists the same documents to thousands of members and reads each source once."""

    @abstractmethod
    def match_sources(self, doc_ids: list[str]) -> dict[str, dict]:
        """id → source without MATCH_SOURCE_EXCLUDES, for those of `doc_ids` still in the index."""

    @abstractmethod
    def distinctive_terms(self, doc_id: str, *, limit: int) -> list[str]:
        """The terms that best tell this document apart from the rest of the index (tf × idf), best first."""

    @abstractmethod
    def suggest(self, *, complete: list[str], prefix: str, audiences: list[str], limit: int) -> list[dict]:
        """Documents whose title has every `complete` term and a term starting with `prefix`."""

    @abstractmethod
    def get(self, doc_id: str) -> dict | None: ...

    @abstractmethod
    def counts_by_type(self) -> dict[str, int]: ...

    @abstractmethod
    def versions(self) -> dict[str, int]:
        """Every document id in the index with its version (search_status, tests)."""

    @abstractmethod
    def rebuild(self, documents: Iterable[tuple[dict, int]], *, on_progress: Callable[[int], None] | None = None) -> int:
        """Fill a fresh index with `documents`, then make it the live one (alias swap); returns the count."""

    @abstractmethod
    def drop(self) -> None:
        """Delete the index and everything it holds (tests)."""

    @abstractmethod
    def healthy(self) -> bool: ...


def unique_titles(sources: list[dict], limit: int) -> list[dict]:
    """Suggestions name each title once (a topic and its replies share one)."""
    seen, unique = set(), []
    for source in sources:
        if source["title"] not in seen:
            seen.add(source["title"])
            unique.append(source)
    return unique[:limit]
