"""The relevance test-set: judged queries over the demo content, scored on the configured backend.

    viewer = relevance_viewer()                  # the approved demo member named in search/data/relevance.json
    report = relevance_run(viewer=viewer)        # every query through search() or suggest()
    report.ndcg, report.recall, report.as_dict()

search/data/relevance.json says how it was judged and what a reference names. Metrics: nDCG@10 with linear gains
(the grade) and a log2(rank + 1) discount, the ideal DCG taken over every judged document of the query; recall@10
is the share of documents judged `RECALL_MIN_GRADE` or more found in the first 10. Documents nobody judged count 0.
Logs and posts have no stable keys, so their references name titles and are resolved against the stored index
documents (`SearchDocument`) at run time; a reference that names no document, or several, is an error.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from .backends import get_backend
from .backends.base import FILTER_FIELDS, MULTI_VALUED
from .service import SearchFilters, SearchParameterError, SearchRequest, search, suggest

RELEVANCE_PATH = Path(__file__).resolve().parent / "data" / "relevance.json"
CUTOFF = 10
RECALL_MIN_GRADE = 2
GRADES = (1, 2, 3)
KINDS = ("search", "suggest")
KEYED_TYPES = ("case", "community", "showcase")  # documents with a stable key: case key or page slug


class RelevanceSetError(ValueError):
    """The judged set does not fit the data: a malformed query, or a reference naming no document or several."""


@dataclass(frozen=True)
class JudgedQuery:
    id: str
    kind: str  # search | suggest
    text: str
    filters: dict
    tests: str
    judgments: dict[str, int]  # reference (search) or suggestion title (suggest) → grade


@dataclass(frozen=True)
class RelevanceSet:
    viewer: str  # e-mail of the demo account the queries run as
    queries: tuple[JudgedQuery, ...]


@dataclass(frozen=True)
class QueryScore:
    query: JudgedQuery
    ndcg: float
    recall: float
    returned: list[tuple[str, int]]  # (document, grade) in rank order, the first CUTOFF
    missed: list[str]  # references judged RECALL_MIN_GRADE or more that are not in the first CUTOFF

    def as_dict(self) -> dict:
        return {
            "id": self.query.id,
            "kind": self.query.kind,
            "text": self.query.text,
            "filters": self.query.filters,
            "ndcg@10": round(self.ndcg, 4),
            "recall@10": round(self.recall, 4),
            "returned": [{"doc": label, "grade": grade} for label, grade in self.returned],
            "missed": self.missed,
        }


@dataclass
class RelevanceReport:
    backend: str
    scores: list[QueryScore] = field(default_factory=list)

    @property
    def ndcg(self) -> float:
        return _mean([s.ndcg for s in self.scores])

    @property
    def recall(self) -> float:
        return _mean([s.recall for s in self.scores])

    def weakest(self, count: int = 5) -> list[QueryScore]:
        return sorted(self.scores, key=lambda s: (s.ndcg, s.recall))[:count]

    def as_dict(self) -> dict:
        return {
            "backend": self.backend,
            "queries": len(self.scores),
            "ndcg@10": round(self.ndcg, 4),
            "recall@10": round(self.recall, 4),
            "per_query": [s.as_dict() for s in self.scores],
        }


# Loading --------------------------------------------------------------------------------------------------------


def relevance_set_load(path: Path = RELEVANCE_PATH) -> RelevanceSet:
    """The judged set in `path`, checked for shape (not yet against the index: see `relevance_run`)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise RelevanceSetError(f"{path}: {error}") from error
    queries, seen = [], set()
    for number, entry in enumerate(data.get("queries", []), start=1):
        if not isinstance(entry, dict):
            raise RelevanceSetError(f"{path}: query #{number} is not an object")
        query = _query(entry, number)
        if query.id in seen:
            raise RelevanceSetError(f"query {query.id!r} appears twice")
        seen.add(query.id)
        queries.append(query)
    if not queries:
        raise RelevanceSetError(f"{path}: no queries")
    return RelevanceSet(viewer=str(data.get("viewer", "")), queries=tuple(queries))


def _query(entry: dict, number: int) -> JudgedQuery:
    name = entry.get("id") or f"#{number}"
    kind = entry.get("kind", "search")
    if kind not in KINDS:
        raise RelevanceSetError(f"query {name}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
    judgments = entry.get("judgments") or {}
    for reference, grade in judgments.items():
        if grade not in GRADES:
            raise RelevanceSetError(f"query {name}: grade of {reference!r} must be 1, 2 or 3, not {grade!r}")
    if not any(grade >= RECALL_MIN_GRADE for grade in judgments.values()):
        raise RelevanceSetError(f"query {name}: needs at least one document judged {RECALL_MIN_GRADE} or more")
    filters = entry.get("filters") or {}
    if kind == "suggest" and filters:
        raise RelevanceSetError(f"query {name}: suggestions take no filters")
    try:
        SearchFilters(**filters)
    except TypeError as error:
        raise RelevanceSetError(f"query {name}: unknown filter ({error})") from error
    return JudgedQuery(id=name, kind=kind, text=entry.get("text", ""), filters=filters, tests=entry.get("tests", ""), judgments=judgments)


def relevance_viewer(email: str = "", *, path: Path = RELEVANCE_PATH):
    """The account the set is judged for: `email`, or the set's own viewer (an approved demo member)."""
    from django.contrib.auth import get_user_model

    from hub import permissions

    email = email or relevance_set_load(path).viewer
    if not email:
        raise RelevanceSetError(f"{path}: names no viewer; pass one (--viewer)")
    user = get_user_model().objects.filter(email=email).first()
    if user is None:
        raise RelevanceSetError(f"no account {email!r}: load the demo content first (manage.py load_demo)")
    if not permissions.is_approved_member(user):
        raise RelevanceSetError(f"{email!r} is not an approved member; the set is judged for one")
    return user


# Running --------------------------------------------------------------------------------------------------------


def relevance_run(*, viewer, path: Path = RELEVANCE_PATH) -> RelevanceReport:
    """Score every judged query on the configured backend as `viewer`. Raises SearchUnavailable, RelevanceSetError."""
    judged = relevance_set_load(path)
    report = RelevanceReport(backend=get_backend().name)
    for query in judged.queries:
        if query.kind == "suggest":
            report.scores.append(_suggest_score(query, viewer))
        else:
            report.scores.append(_search_score(query, viewer))
    return report


def _search_score(query: JudgedQuery, viewer) -> QueryScore:
    grades, references = _resolve(query)
    request = SearchRequest(text=query.text, filters=SearchFilters(**query.filters), page_size=CUTOFF)
    try:
        hits = search(request, viewer=viewer).hits
    except SearchParameterError as error:
        raise RelevanceSetError(f"query {query.id}: {error}") from error
    ranked = [hit.id for hit in hits[:CUTOFF]]
    returned = [(_label(hit.type, hit.key, hit.title), grades.get(hit.id, 0)) for hit in hits[:CUTOFF]]
    return _score(query, ranked, grades, references, returned)


def _suggest_score(query: JudgedQuery, viewer) -> QueryScore:
    from .models import SearchDocument

    for title in query.judgments:
        if not SearchDocument.objects.filter(source__title=title).exists():
            raise RelevanceSetError(f"query {query.id}: no document in the index is titled {title!r}")
    ranked = [s.text for s in suggest(query.text, viewer=viewer, limit=CUTOFF)]
    grades = dict(query.judgments)
    returned = [(title, grades.get(title, 0)) for title in ranked]
    return _score(query, ranked, grades, {title: title for title in grades}, returned)


def _score(
    query: JudgedQuery, ranked: list[str], grades: dict[str, int], references: dict[str, str], returned: list[tuple[str, int]]
) -> QueryScore:
    relevant = {doc for doc, grade in grades.items() if grade >= RECALL_MIN_GRADE}
    found = relevant.intersection(ranked)
    missed = list(dict.fromkeys(references[doc] for doc in grades if doc in relevant - found))
    return QueryScore(
        query=query,
        ndcg=ndcg_at([grades.get(doc, 0) for doc in ranked], list(grades.values())),
        recall=len(found) / len(relevant),
        returned=returned,
        missed=missed,
    )


def ndcg_at(ranked_grades: list[int], judged_grades: list[int], k: int = CUTOFF) -> float:
    """nDCG@k with linear gains: DCG of the ranking over DCG of the best ordering of every judged grade."""
    ideal = _dcg(sorted(judged_grades, reverse=True)[:k])
    return _dcg(ranked_grades[:k]) / ideal if ideal else 0.0


def _dcg(grades: list[int]) -> float:
    return sum(grade / math.log2(rank + 2) for rank, grade in enumerate(grades))


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


# References -----------------------------------------------------------------------------------------------------


def _resolve(query: JudgedQuery) -> tuple[dict[str, int], dict[str, str]]:
    """Document id → grade, and document id → the reference that named it."""
    grades: dict[str, int] = {}
    references: dict[str, str] = {}
    for reference, grade in query.judgments.items():
        for doc_id, source in _documents(query, reference):
            if doc_id in grades:
                raise RelevanceSetError(f"query {query.id}: {reference!r} judges {doc_id} a second time")
            # A document the filters exclude cannot be relevant to the filtered query; judging one is a mistake.
            if outside := _outside_filters(source, query.filters):
                raise RelevanceSetError(f"query {query.id}: {reference!r} is outside the query's filters ({outside})")
            grades[doc_id], references[doc_id] = grade, reference
    return grades, references


def _documents(query: JudgedQuery, reference: str) -> list[tuple[str, dict]]:
    """(document id, stored source) of every document `reference` names: exactly one, or every reply for replies:."""
    from .models import SearchDocument

    kind, _, name = reference.partition(":")
    documents = SearchDocument.objects
    if kind in KEYED_TYPES:
        found = list(documents.filter(type=kind, source__key=name).values_list("doc_id", "source"))
    elif kind in ("log", "post"):
        found = list(documents.filter(type=kind, source__title=name).values_list("doc_id", "source"))
    elif kind == "replies":
        found = list(documents.filter(type="post", source__title=f"Re: {name}").values_list("doc_id", "source"))
        if not found:
            raise RelevanceSetError(f"query {query.id}: {reference!r} names no reply in the index")
        return found
    elif kind == "reply":
        topic, _, start = name.partition("|")
        replies = documents.filter(type="post", source__title=f"Re: {topic}").values_list("doc_id", "source")
        found = [(doc_id, source) for doc_id, source in replies if start and source.get("body", "").startswith(start)]
    else:
        raise RelevanceSetError(f"query {query.id}: {reference!r} is not case:, community:, showcase:, log:, post:, replies: or reply:")
    if len(found) != 1:
        names = "no document" if not found else f"{len(found)} documents"
        raise RelevanceSetError(f"query {query.id}: {reference!r} names {names} in the index")
    return found


def _outside_filters(source: dict, filters: dict) -> str:
    """The first filter `source` does not satisfy, as "name=value", or ""."""
    for name, value in filters.items():
        stored = source.get(FILTER_FIELDS[name])
        matches = value in (stored or ()) if FILTER_FIELDS[name] in MULTI_VALUED else stored == value
        if not matches:
            return f"{name}={value}, the document has {stored!r}"
    return ""


def _label(type_: str, key: str, title: str) -> str:
    """How a returned document is shown: like a reference, so a report reads against the judgments."""
    return f"{type_}:{key}" if type_ in KEYED_TYPES else f"{type_}:{title}"
