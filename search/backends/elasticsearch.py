"""Elasticsearch backend (production), through `elasticsearch.dsl`, on the core server only (DESIGN.md §4).

One index of every document type behind the alias `<prefix>-documents`; a rebuild fills `<prefix>-documents-<ns>`
and moves the alias in one atomic `_aliases` call, so searches never see a half-built index. Writes carry the
indexer's version as an external version: a late, older write is refused by the node (409) and ignored here.
The `*_terms` fields use the built-in whitespace analyser over terms made by search/analysis.py; nothing needs
analysis-common, painless or any plugin.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable

from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError
from elasticsearch import helpers as es_helpers
from elasticsearch.dsl import Q, Search

from ..documents import HubDocument
from .base import (
    BODY_WEIGHT,
    FILTER_FIELDS,
    JOIN_WEIGHT,
    MATCH_FIELDS,
    MATCH_SOURCE_EXCLUDES,
    SIMILAR_MAX_TERMS,
    SIMILAR_SECTOR_BOOST,
    SIMILAR_TECHNOLOGY_BOOST,
    SUGGEST_TYPE_ORDER,
    TITLE_WEIGHT,
    BackendQuery,
    BackendResult,
    Criterion,
    Deletes,
    MatchHit,
    MatchQuery,
    SearchBackend,
    SearchUnavailable,
    Upserts,
    unique_titles,
)

REQUEST_TIMEOUT_SECONDS = 5
BULK_TIMEOUT_SECONDS = 60
BULK_CHUNK = 1_000
MSEARCH_CHUNK = 200  # searches per msearch request
MSEARCH_TIMEOUT_SECONDS = 60
MGET_CHUNK = 1_000  # documents per mget request
# What match reads of an msearch answer (thousands of hits: index names and sort values are not sent). Every
# answer keeps its `status`, so one without hits stays in its place in `responses`.
MSEARCH_FILTER_PATH = [
    "responses.status",
    "responses.error",
    "responses.hits.hits._id",
    "responses.hits.hits._score",
    "responses.hits.hits.matched_queries",
]
KEYWORD_FACETS = frozenset({"region", "municipality", "sectors", "technologies", "stage", "type", "language"})
UNAVAILABLE = (TransportError,)  # connection refused, timeouts, TLS: the node is not there or too slow


class ElasticsearchBackend(SearchBackend):
    name = "elasticsearch"

    def __init__(self, *, url: str, prefix: str, refresh: bool = False) -> None:
        if not url:
            raise ValueError("SEARCH_BACKEND is 'elasticsearch' but ELASTICSEARCH_URL is empty")
        from django.conf import settings

        self.client = Elasticsearch(url, request_timeout=REQUEST_TIMEOUT_SECONDS, max_retries=0, retry_on_timeout=False)
        self.alias = f"{prefix}-documents"
        # Tests and small installs want to read their writes at once; production lets the refresh interval batch them.
        self.refresh = refresh or settings.SEARCH_REFRESH_ON_WRITE
        self._mapping_current = False

    # Index management ---------------------------------------------------------------------------------------------

    def _call(self, function, *args, **kwargs):
        try:
            return function(*args, **kwargs)
        except UNAVAILABLE as error:
            raise SearchUnavailable(f"Elasticsearch did not answer: {error}") from error
        except ApiError as error:
            if error.status_code >= 500 or error.status_code == 429:
                raise SearchUnavailable(f"Elasticsearch answered {error.status_code}: {error}") from error
            raise

    def _create_index(self, name: str) -> None:
        body = HubDocument._index.clone(name).to_dict()
        body.setdefault("settings", {}).update(HubDocument.Index.settings)
        self._call(self.client.indices.create, index=name, settings=body["settings"], mappings=body["mappings"])

    def ensure_index(self) -> None:
        if self._mapping_current:
            return
        if self._call(self.client.indices.exists_alias, name=self.alias):
            # An index made before a field was added: new fields can be added to a live mapping in place (the
            # documents written before lack them until `search_reindex`).
            self._call(self.client.indices.put_mapping, index=self.alias, **HubDocument._index.to_dict()["mappings"])
            self._mapping_current = True
            return
        name = f"{self.alias}-{time.time_ns()}"
        self._create_index(name)
        self._call(self.client.indices.put_alias, index=name, name=self.alias)
        self._mapping_current = True

    def healthy(self) -> bool:
        try:
            health = self.client.cluster.health(request_timeout=2)
        except (TransportError, ApiError):
            return False
        return health.get("status") in ("green", "yellow")

    def drop(self) -> None:
        try:
            indices = list(self.client.indices.get_alias(name=self.alias))
        except NotFoundError:
            return
        for index in indices:
            self.client.indices.delete(index=index, ignore_unavailable=True)

    # Writing ------------------------------------------------------------------------------------------------------

    def bulk(self, upserts: Upserts, deletes: Deletes) -> None:
        self.ensure_index()
        actions = [_index_action(self.alias, document, version) for document, version in upserts]
        actions += [
            {"_op_type": "delete", "_index": self.alias, "_id": doc_id, "version": version, "version_type": "external_gte"}
            for doc_id, version in deletes
        ]
        self._send(actions, refresh=self.refresh)

    def _send(self, actions: list[dict], *, refresh: bool = False, index: str | None = None) -> None:
        if not actions:
            return
        try:
            _, errors = es_helpers.bulk(
                self.client.options(request_timeout=BULK_TIMEOUT_SECONDS),
                actions,
                chunk_size=BULK_CHUNK,
                raise_on_error=False,
                refresh="wait_for" if refresh else False,
            )
        except UNAVAILABLE as error:
            raise SearchUnavailable(f"Elasticsearch did not answer: {error}") from error
        # 409: the index already holds a newer version; 404: deleting what is not there. Both are the wanted state.
        failures = [e for e in errors if next(iter(e.values())).get("status") not in (404, 409)]
        if failures:
            if any(next(iter(e.values())).get("status", 500) >= 500 or next(iter(e.values())).get("status") == 429 for e in failures):
                raise SearchUnavailable(f"Elasticsearch refused {len(failures)} write(s): {failures[:3]}")
            raise RuntimeError(f"Elasticsearch rejected {len(failures)} document(s): {failures[:3]}")

    def rebuild(self, documents: Iterable[tuple[dict, int]], *, on_progress: Callable[[int], None] | None = None) -> int:
        name = f"{self.alias}-{time.time_ns()}"
        self._create_index(name)
        self._call(self.client.indices.put_settings, index=name, settings={"refresh_interval": "-1"})
        count = 0
        try:
            for ok, _item in es_helpers.streaming_bulk(
                self.client.options(request_timeout=BULK_TIMEOUT_SECONDS),
                (_index_action(name, document, version) for document, version in documents),
                chunk_size=BULK_CHUNK,
                max_chunk_bytes=20 * 1024 * 1024,
                raise_on_error=True,
            ):
                count += ok
                if on_progress and count % BULK_CHUNK == 0:
                    on_progress(BULK_CHUNK)
        except UNAVAILABLE as error:
            self.client.indices.delete(index=name, ignore_unavailable=True)
            raise SearchUnavailable(f"Elasticsearch did not answer: {error}") from error
        if on_progress and count % BULK_CHUNK:
            on_progress(count % BULK_CHUNK)
        self._call(
            self.client.indices.put_settings, index=name, settings={"refresh_interval": HubDocument.Index.settings["refresh_interval"]}
        )
        self._call(self.client.indices.refresh, index=name)
        self._swap_alias(name)
        return count

    def _swap_alias(self, name: str) -> None:
        try:
            old = list(self.client.indices.get_alias(name=self.alias))
        except NotFoundError:
            old = []
        actions = [{"remove": {"index": index, "alias": self.alias}} for index in old]
        actions.append({"add": {"index": name, "alias": self.alias}})
        self._call(self.client.indices.update_aliases, actions=actions)
        for index in old:
            self.client.indices.delete(index=index, ignore_unavailable=True)

    # Reading ------------------------------------------------------------------------------------------------------

    def _search(self) -> Search:
        self.ensure_index()
        return Search(using=self.client, index=self.alias)

    def get(self, doc_id: str) -> dict | None:
        self.ensure_index()
        try:
            return self._call(self.client.get, index=self.alias, id=doc_id)["_source"]
        except NotFoundError:
            return None

    def counts_by_type(self) -> dict[str, int]:
        search = self._search().extra(size=0, track_total_hits=True)
        search.aggs.bucket("types", "terms", field="type", size=20)
        response = self._call(search.execute)
        return {bucket.key: bucket.doc_count for bucket in response.aggregations.types.buckets}

    def versions(self) -> dict[str, int]:
        self.ensure_index()
        hits = es_helpers.scan(self.client, index=self.alias, query={"query": {"match_all": {}}, "version": True}, _source=False)
        try:
            return {hit["_id"]: hit["_version"] for hit in hits}
        except UNAVAILABLE as error:
            raise SearchUnavailable(f"Elasticsearch did not answer: {error}") from error

    def search(self, query: BackendQuery) -> BackendResult:
        search = self._search().query(Q("bool", must=[_text_query(query)], filter=_filters(query.filters, query.audiences)))
        if query.sort == "relevance" and query.clauses:
            search = search.sort("_score", {"published_at": {"order": "desc", "missing": "_last"}}, "id")
        else:
            search = search.sort({"published_at": {"order": "desc", "missing": "_last"}}, "_score", "id")
        search = search.extra(from_=query.offset, size=query.size, track_total_hits=True)
        for name, size in query.facets.items():
            field = FILTER_FIELDS[name]
            options = {"exclude": [""]} if field in KEYWORD_FACETS else {}
            search.aggs.bucket(name, "terms", field=field, size=size, **options)
        response = self._call(search.execute)
        facets = {
            name: [(str(bucket.key), bucket.doc_count) for bucket in getattr(response.aggregations, name).buckets] for name in query.facets
        }
        hits = [(hit.to_dict(), hit.meta.score or 0.0) for hit in response]
        return BackendResult(total=response.hits.total.value, hits=hits, facets=facets)

    def similar(self, source: dict, *, audiences: list[str], limit: int) -> list[tuple[dict, float]]:
        like = Q(
            "more_like_this",
            fields=["title_terms", "body_terms"],
            like=[{"_index": self.alias, "_id": source["id"]}],
            min_term_freq=1,
            min_doc_freq=1,
            max_query_terms=SIMILAR_MAX_TERMS,
            minimum_should_match="1",
        )
        boosts = [Q("terms", sectors=source.get("sectors") or [], boost=SIMILAR_SECTOR_BOOST)]
        boosts += [Q("term", technologies={"value": t, "boost": SIMILAR_TECHNOLOGY_BOOST}) for t in source.get("technologies") or []]
        search = (
            self._search()
            .query(
                Q(
                    "bool",
                    must=[like],
                    should=boosts,
                    filter=_filters({"type": "case"}, audiences),
                    must_not=[Q("ids", values=[source["id"]])],
                )
            )
            .extra(size=limit)
        )
        response = self._call(search.execute)
        return [(hit.to_dict(), hit.meta.score or 0.0) for hit in response]

    def match(self, queries: list[MatchQuery]) -> list[list[MatchHit]]:
        self.ensure_index()
        results: list[list[MatchHit]] = []
        for start in range(0, len(queries), MSEARCH_CHUNK):
            chunk = queries[start : start + MSEARCH_CHUNK]
            searches = [line for query in chunk for line in ({"index": self.alias}, _match_body(query))]
            client = self.client.options(request_timeout=MSEARCH_TIMEOUT_SECONDS)
            responses = self._call(client.msearch, searches=searches, filter_path=MSEARCH_FILTER_PATH).get("responses", [])
            if len(responses) != len(chunk):
                raise SearchUnavailable(f"Elasticsearch answered {len(responses)} of {len(chunk)} match queries")
            for response in responses:
                if "error" in response:
                    raise SearchUnavailable(f"Elasticsearch refused a match query: {response['error']}")
                hits = response.get("hits", {}).get("hits", [])  # filter_path leaves out an empty `hits`
                results.append(
                    [
                        MatchHit(id=hit["_id"], score=hit.get("_score") or 0.0, matched=tuple(hit.get("matched_queries") or ()))
                        for hit in hits
                    ]
                )
        return results

    def match_sources(self, doc_ids: list[str]) -> dict[str, dict]:
        self.ensure_index()
        sources = {}
        for start in range(0, len(doc_ids), MGET_CHUNK):
            answer = self._call(
                self.client.mget, index=self.alias, ids=doc_ids[start : start + MGET_CHUNK], source_excludes=list(MATCH_SOURCE_EXCLUDES)
            )
            sources.update((doc["_id"], doc["_source"]) for doc in answer["docs"] if doc.get("found"))
        return sources

    def distinctive_terms(self, doc_id: str, *, limit: int) -> list[str]:
        self.ensure_index()
        try:
            vectors = self._call(
                self.client.termvectors,
                index=self.alias,
                id=doc_id,
                fields=["title_terms", "body_terms"],
                term_statistics=True,
                field_statistics=True,
                positions=False,
                offsets=False,
            )
        except NotFoundError:
            return []
        scores: dict[str, float] = {}
        for name, vector in (vectors.get("term_vectors") or {}).items():
            weight = TITLE_WEIGHT if name == "title_terms" else BODY_WEIGHT
            total = vector["field_statistics"]["doc_count"] or 1
            for term, stats in vector["terms"].items():
                frequency = stats.get("doc_freq", 1)
                idf = math.log(1 + (total - frequency + 0.5) / (frequency + 0.5))
                scores[term] = scores.get(term, 0.0) + weight * stats["term_freq"] * idf
        ranked = sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))
        return [term for term, _score in ranked[:limit]]

    def suggest(self, *, complete: list[str], prefix: str, audiences: list[str], limit: int) -> list[dict]:
        words = [Q("term", title_terms=term) for term in complete] + [Q("prefix", title_terms={"value": prefix})]
        type_order = Q(
            "bool",
            should=[Q("term", type={"value": t, "boost": float(len(SUGGEST_TYPE_ORDER) - i)}) for i, t in enumerate(SUGGEST_TYPE_ORDER)],
        )
        search = (
            self._search()
            .query(Q("bool", filter=[*words, *_filters({}, audiences)], should=[type_order]))
            .sort("_score", {"published_at": {"order": "desc", "missing": "_last"}})
            .source(["title", "type", "url"])
            .extra(size=limit * 3)
        )
        response = self._call(search.execute)
        return unique_titles([hit.to_dict() for hit in response], limit)


def _index_action(index: str, document: dict, version: int) -> dict:
    return {
        "_op_type": "index",
        "_index": index,
        "_id": document["id"],
        "version": version,
        "version_type": "external_gte",
        "_source": document,
    }


def _filters(filters: dict, audiences: list[str]) -> list[Q]:
    clauses = [Q("terms", audience=audiences)]
    clauses += [Q("term", **{FILTER_FIELDS[name]: value}) for name, value in filters.items()]
    return clauses


def _match_body(query: MatchQuery) -> dict:
    """One msearch body: the window, audience and exclusions filter; each criterion is a named `should` clause, so
    the node reports which criteria each hit meets (`matched_queries`)."""
    must_not = []
    if query.exclude_authors:
        must_not.append(Q("terms", authors=list(query.exclude_authors)))
    if query.exclude_ids:
        must_not.append(Q("ids", values=list(query.exclude_ids)))
    window = Q("range", published_at={"gte": query.published_from, "lt": query.published_until})
    bool_query = Q(
        "bool",
        filter=[Q("terms", audience=query.audiences), window],
        should=[_criterion_query(criterion, query.include_lessons) for criterion in query.criteria],
        minimum_should_match=1,
        must_not=must_not,
    )
    return {
        "query": bool_query.to_dict(),
        "size": query.size,
        # Ids only: reading and trimming each hit's source costs the node more than the search itself.
        "_source": False,
        "sort": ["_score", {"published_at": {"order": "desc"}}, "id"],
        "track_total_hits": False,
    }


def _criterion_query(criterion: Criterion, include_lessons: bool) -> Q:
    conditions = [Q("terms", **{MATCH_FIELDS.get(name, name): list(values)}) for name, values in criterion.filters.items()]
    must_not = [Q("terms", places=list(criterion.exclude_places))] if criterion.exclude_places else []
    if criterion.clauses:
        text = _text_match(criterion.clauses, criterion.min_match, (), include_lessons)
        return Q("bool", must=[text], filter=conditions, must_not=must_not, boost=criterion.weight, _name=criterion.name)
    return Q(
        "constant_score",
        filter=Q("bool", filter=conditions or [Q("match_all")], must_not=must_not),
        boost=criterion.weight,
        _name=criterion.name,
    )


def _term_alternatives(term: str, include_lessons: bool) -> list[Q]:
    queries = [Q("term", title_terms={"value": term, "boost": TITLE_WEIGHT}), Q("term", body_terms={"value": term, "boost": BODY_WEIGHT})]
    if include_lessons:
        queries.append(Q("term", lessons_terms={"value": term, "boost": BODY_WEIGHT}))
    return queries


def _text_query(query: BackendQuery) -> Q:
    if not query.clauses:
        return Q("match_all")
    return _text_match(query.clauses, query.min_match, query.boosts, query.include_lessons)


def _text_match(clauses: tuple[tuple[str, ...], ...], min_match: int, boosts: tuple[str, ...], include_lessons: bool) -> Q:
    """Each clause is a dis_max of its terms over the fields; `min_match` clauses must match; joins only add."""
    alternatives = [Q("dis_max", queries=[q for term in clause for q in _term_alternatives(term, include_lessons)]) for clause in clauses]
    main = Q("bool", should=alternatives, minimum_should_match=min_match)
    joins = [Q("term", **{field: {"value": term, "boost": JOIN_WEIGHT}}) for term in boosts for field in ("title_terms", "body_terms")]
    return Q("bool", must=[main], should=joins)
