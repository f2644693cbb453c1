"""SQLite FTS5 backend: the embedded default, a file of its own next to the database (no server).

The index lives in its own SQLite file, whatever database Django uses, so it behaves like a separate search server:
`docs` holds each document (its JSON source and the fields filters and facets use), `doc_values` the multi-valued
fields, and the FTS5 table `fts` the analysed terms (title_terms, body_terms, lessons_terms). Terms come from
search/analysis.py already normalised; FTS5 only splits them on spaces and punctuation, and every query term is a
quoted phrase tokenised the same way, so both sides agree. Ranking is FTS5's BM25 with the same field weights as
Elasticsearch.

"Alias": `<prefix>.current` names the live file. A rebuild fills a new file and swaps the pointer atomically; readers
that opened the old file finish on it.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from .base import (
    BODY_WEIGHT,
    FILTER_FIELDS,
    MATCH_FIELDS,
    MATCH_SOURCE_EXCLUDES,
    MULTI_VALUED,
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

SCALAR_COLUMNS = (
    "type",
    "language",
    "audience",
    "region",
    "municipality",
    "country",
    "stage",
    "year",
    "published_at",
    "case_id",
    "community_id",
)
INTEGER_COLUMNS = ("year", "case_id", "community_id")
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS docs (
    rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, version INTEGER NOT NULL, source TEXT NOT NULL,
    {", ".join(f"{c} {'INTEGER' if c in INTEGER_COLUMNS else 'TEXT'}" for c in SCALAR_COLUMNS)}
);
CREATE INDEX IF NOT EXISTS docs_type ON docs(type, published_at);
CREATE INDEX IF NOT EXISTS docs_published ON docs(published_at);
CREATE TABLE IF NOT EXISTS doc_values (rowid INTEGER NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS doc_values_lookup ON doc_values(field, value, rowid);
CREATE INDEX IF NOT EXISTS doc_values_row ON doc_values(rowid);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
    title_terms, body_terms, lessons_terms, tokenize = "unicode61 remove_diacritics 0 tokenchars ':._-'", prefix = '1 2 3'
);
"""
BUSY_TIMEOUT_SECONDS = 30
REBUILD_BATCH = 2_000
SQL_VARIABLES_CHUNK = 900  # ids per IN (...): well under SQLite's bound variables limit


class SqliteBackend(SearchBackend):
    name = "sqlite"

    def __init__(self, *, folder: str, prefix: str) -> None:
        self.folder = Path(folder)
        self.prefix = prefix
        self.pointer = self.folder / f"{prefix}.current"

    # Files and connections -------------------------------------------------------------------------------------

    def _live_file(self) -> Path | None:
        try:
            return self.folder / self.pointer.read_text().strip()
        except FileNotFoundError:
            return None

    def _connect(self, path: Path) -> sqlite3.Connection:
        try:
            connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        except sqlite3.Error as error:
            raise SearchUnavailable(f"search index file {path}: {error}") from error
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        _add_missing_columns(connection)
        return connection

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        path = self._live_file()
        if path is None or not path.exists():
            self.ensure_index()
            path = self._live_file()
        connection = self._connect(path)
        try:
            yield connection
        except sqlite3.OperationalError as error:
            raise SearchUnavailable(f"search index: {error}") from error
        finally:
            connection.close()

    def _new_file(self) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self.prefix}-{time.time_ns()}.sqlite3"
        connection = self._connect(path)
        connection.executescript(SCHEMA)
        connection.close()
        return path

    def _point_to(self, path: Path) -> None:
        temporary = self.pointer.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(path.name)
        os.replace(temporary, self.pointer)

    def ensure_index(self) -> None:
        live = self._live_file()
        if live is not None and live.exists():
            return
        self._point_to(self._new_file())

    def healthy(self) -> bool:
        try:
            with self._db() as db:
                db.execute("SELECT 1").fetchone()
            return True
        except SearchUnavailable:
            return False

    def drop(self) -> None:
        live = self._live_file()
        self.pointer.unlink(missing_ok=True)
        if live is not None:
            _remove_database(live)

    # Writing ------------------------------------------------------------------------------------------------------

    def bulk(self, upserts: Upserts, deletes: Deletes) -> None:
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                for document, version in upserts:
                    _write(db, document, version)
                for doc_id, version in deletes:
                    _delete(db, doc_id, version)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def rebuild(self, documents: Iterable[tuple[dict, int]], *, on_progress: Callable[[int], None] | None = None) -> int:
        path = self._new_file()
        db = self._connect(path)
        count = 0
        try:
            db.execute("PRAGMA synchronous=OFF")
            iterator = iter(documents)
            while batch := list(itertools.islice(iterator, REBUILD_BATCH)):
                db.execute("BEGIN")
                for document, version in batch:
                    _write(db, document, version, fresh=True)
                db.execute("COMMIT")
                count += len(batch)
                if on_progress:
                    on_progress(len(batch))
            db.execute("INSERT INTO fts(fts) VALUES ('optimize')")
        finally:
            db.close()
        previous = self._live_file()
        self._point_to(path)
        if previous is not None and previous != path:
            _remove_database(previous)
        return count

    # Reading ------------------------------------------------------------------------------------------------------

    def get(self, doc_id: str) -> dict | None:
        with self._db() as db:
            row = db.execute("SELECT source FROM docs WHERE id = ?", (doc_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def counts_by_type(self) -> dict[str, int]:
        with self._db() as db:
            return dict(db.execute("SELECT type, COUNT(*) FROM docs GROUP BY type").fetchall())

    def versions(self) -> dict[str, int]:
        with self._db() as db:
            return dict(db.execute("SELECT id, version FROM docs").fetchall())

    def search(self, query: BackendQuery) -> BackendResult:
        where, params = _filters(query.filters, query.audiences)
        columns = "{title_terms body_terms lessons_terms}" if query.include_lessons else "{title_terms body_terms}"
        facet_columns = {name: FILTER_FIELDS[name] for name in query.facets}
        scalar = list(dict.fromkeys(column for column in facet_columns.values() if column not in MULTI_VALUED))
        multi = list(dict.fromkeys(column for column in facet_columns.values() if column in MULTI_VALUED))
        with self._db() as db:
            total = _hits_fill(db, query, where, params, columns, scalar)
            # The page is ordered in `hits` and only its own sources are read: sorting every hit joined to docs would
            # copy each hit's JSON source into the sorter.
            order = "score DESC, published_at DESC" if query.sort == "relevance" and query.clauses else "published_at DESC, score DESC"
            page = db.execute(f"SELECT rowid, score FROM hits ORDER BY {order}, id LIMIT ? OFFSET ?", (query.size, query.offset)).fetchall()
            sources = dict(db.execute(f"SELECT rowid, source FROM docs WHERE rowid IN ({_marks(page)})", [r for r, _ in page]).fetchall())
            counts = _facet_counts(db, scalar, multi, total) if total else {}
        facets = {name: _facet_top(counts.get(column, []), query.facets[name]) for name, column in facet_columns.items()}
        return BackendResult(total=total, hits=[(json.loads(sources[rowid]), score) for rowid, score in page], facets=facets)

    def similar(self, source: dict, *, audiences: list[str], limit: int) -> list[tuple[dict, float]]:
        terms = self._distinctive(source)
        if not terms:
            return []
        where, params = _filters({"type": "case"}, audiences)
        expression = " OR ".join(_phrase(term) for term in terms)
        sectors, technologies = source.get("sectors") or [], source.get("technologies") or []
        bonus = (
            f"{SIMILAR_SECTOR_BOOST} * (SELECT COUNT(*) FROM doc_values v WHERE v.rowid = d.rowid AND v.field = 'sectors' "
            f"AND v.value IN ({_marks(sectors)})) + {SIMILAR_TECHNOLOGY_BOOST} * (SELECT COUNT(*) FROM doc_values v "
            f"WHERE v.rowid = d.rowid AND v.field = 'technologies' AND v.value IN ({_marks(technologies)}))"
        )
        with self._db() as db:
            rows = db.execute(
                f"SELECT d.source, -bm25(fts, ?, ?, 0.0) + {bonus} AS score FROM fts JOIN docs d ON d.rowid = fts.rowid "
                f"WHERE fts MATCH ? AND {where} AND d.id != ? ORDER BY score DESC, d.id LIMIT ?",
                (
                    TITLE_WEIGHT,
                    BODY_WEIGHT,
                    *sectors,
                    *technologies,
                    "{title_terms body_terms} : (" + expression + ")",
                    *params,
                    source["id"],
                    limit,
                ),
            ).fetchall()
        return [(json.loads(s), score) for s, score in rows]

    def _distinctive(self, source: dict) -> list[str]:
        """The source's terms that best tell it apart: frequent in it, rare in the index (tf × idf)."""
        words = source.get("title_terms", "").split() * int(TITLE_WEIGHT) + source.get("body_terms", "").split()
        if not words:
            return []
        frequency: dict[str, int] = {}
        for word in words:
            frequency[word] = frequency.get(word, 0) + 1
        with self._db() as db:
            db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.vocab USING fts5vocab(main, fts, row)")
            total = db.execute("SELECT COUNT(*) FROM docs").fetchone()[0] or 1
            document_frequency = {}
            candidates = list(frequency)
            for start in range(0, len(candidates), 500):
                chunk = candidates[start : start + 500]
                document_frequency.update(db.execute(f"SELECT term, doc FROM temp.vocab WHERE term IN ({_marks(chunk)})", chunk).fetchall())
        scored = [
            (count * _idf(total, document_frequency.get(word, 1)), word) for word, count in frequency.items() if word in document_frequency
        ]
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        return [word for _, word in scored[:SIMILAR_MAX_TERMS]]

    def match(self, queries: list[MatchQuery]) -> list[list[MatchHit]]:
        with self._db() as db:
            return [_match_one(db, query) for query in queries]

    def match_sources(self, doc_ids: list[str]) -> dict[str, dict]:
        sources = {}
        with self._db() as db:
            for start in range(0, len(doc_ids), SQL_VARIABLES_CHUNK):
                chunk = doc_ids[start : start + SQL_VARIABLES_CHUNK]
                for doc_id, text in db.execute(f"SELECT id, source FROM docs WHERE id IN ({_marks(chunk)})", chunk):
                    source = json.loads(text)
                    for name in MATCH_SOURCE_EXCLUDES:
                        source.pop(name, None)
                    sources[doc_id] = source
        return sources

    def distinctive_terms(self, doc_id: str, *, limit: int) -> list[str]:
        source = self.get(doc_id)
        return self._distinctive(source)[:limit] if source else []

    def suggest(self, *, complete: list[str], prefix: str, audiences: list[str], limit: int) -> list[dict]:
        where, params = _filters({}, audiences)
        parts = [_phrase(term) for term in complete] + [_phrase(prefix) + " *"]
        expression = "{title_terms} : (" + " AND ".join(parts) + ")"
        order = " ".join(f"WHEN '{t}' THEN {i}" for i, t in enumerate(SUGGEST_TYPE_ORDER))
        with self._db() as db:
            rows = db.execute(
                f"SELECT d.source FROM fts JOIN docs d ON d.rowid = fts.rowid WHERE fts MATCH ? AND {where} "
                f"ORDER BY CASE d.type {order} ELSE 9 END, bm25(fts, ?, 0.0, 0.0), d.published_at DESC LIMIT ?",
                (expression, *params, TITLE_WEIGHT, limit * 3),
            ).fetchall()
        return unique_titles([json.loads(row[0]) for row in rows], limit)


# SQL helpers -----------------------------------------------------------------------------------------------------


def _write(db: sqlite3.Connection, document: dict, version: int, *, fresh: bool = False) -> None:
    if not fresh:
        row = db.execute("SELECT rowid, version FROM docs WHERE id = ?", (document["id"],)).fetchone()
        if row and row[1] > version:
            return  # an older write arriving late
        if row:
            _remove_row(db, row[0])
    values = [document.get(column) for column in SCALAR_COLUMNS]
    cursor = db.execute(
        f"INSERT INTO docs (id, version, source, {', '.join(SCALAR_COLUMNS)}) VALUES (?, ?, ?, {_marks(SCALAR_COLUMNS)})",
        (document["id"], version, json.dumps(document, ensure_ascii=False), *values),
    )
    rowid = cursor.lastrowid
    db.executemany(
        "INSERT INTO doc_values (rowid, field, value) VALUES (?, ?, ?)",
        [(rowid, field, value) for field in MULTI_VALUED for value in document.get(field) or ()],
    )
    db.execute(
        "INSERT INTO fts (rowid, title_terms, body_terms, lessons_terms) VALUES (?, ?, ?, ?)",
        (rowid, document.get("title_terms", ""), document.get("body_terms", ""), document.get("lessons_terms", "")),
    )


def _add_missing_columns(db: sqlite3.Connection) -> None:
    """A file made before a column was added gets it (empty until `search_reindex`), as Elasticsearch's mapping does."""
    existing = {row[1] for row in db.execute("PRAGMA table_info(docs)")}
    if not existing:
        return  # a new file: SCHEMA makes the table
    for column in SCALAR_COLUMNS:
        if column not in existing:
            db.execute(f"ALTER TABLE docs ADD COLUMN {column} {'INTEGER' if column in INTEGER_COLUMNS else 'TEXT'}")


def _match_one(db: sqlite3.Connection, query: MatchQuery) -> list[MatchHit]:
    """Each criterion is one SQL query over the window; scores add up per document, as the named `should` clauses
    of the Elasticsearch backend do."""
    conditions = [f"d.audience IN ({_marks(query.audiences)})", "d.published_at >= ?", "d.published_at < ?"]
    params: list = [*query.audiences, query.published_from, query.published_until]
    if query.exclude_authors:
        conditions.append(_values_exist("authors", query.exclude_authors, negate=True))
        params += ["authors", *query.exclude_authors]
    if query.exclude_ids:
        conditions.append(f"d.id NOT IN ({_marks(query.exclude_ids)})")
        params += list(query.exclude_ids)
    scores: dict[int, float] = {}
    matched: dict[int, list[str]] = {}
    for criterion in query.criteria:
        for rowid, score in _criterion_rows(db, criterion, conditions, params, query.include_lessons):
            scores[rowid] = scores.get(rowid, 0.0) + score
            matched.setdefault(rowid, []).append(criterion.name)
    if not scores:
        return []
    published = dict(db.execute(f"SELECT rowid, published_at FROM docs WHERE rowid IN ({_marks(scores)})", list(scores)).fetchall())
    # Best score first, newest first among equals (two stable sorts: the timestamps are text).
    best = sorted(scores, key=lambda rowid: published.get(rowid) or "", reverse=True)
    best = sorted(best, key=lambda rowid: -scores[rowid])[: query.size]
    ids = dict(db.execute(f"SELECT rowid, id FROM docs WHERE rowid IN ({_marks(best)})", best).fetchall())
    return [MatchHit(id=ids[rowid], score=scores[rowid], matched=tuple(matched[rowid])) for rowid in best]


def _criterion_rows(db, criterion: Criterion, conditions: list[str], params: list, include_lessons: bool) -> list[tuple[int, float]]:
    conditions, params = list(conditions), list(params)
    for name, values in criterion.filters.items():
        column = MATCH_FIELDS.get(name, name)
        if column in MULTI_VALUED:
            conditions.append(_values_exist(column, values))
            params += [column, *values]
        else:
            conditions.append(f"d.{column} IN ({_marks(values)})")
            params += list(values)
    if criterion.exclude_places:
        conditions.append(_values_exist("places", criterion.exclude_places, negate=True))
        params += ["places", *criterion.exclude_places]
    where = " AND ".join(conditions)
    if not criterion.clauses:
        return [(rowid, criterion.weight) for (rowid,) in db.execute(f"SELECT d.rowid FROM docs d WHERE {where}", params)]
    columns = "{title_terms body_terms lessons_terms}" if include_lessons else "{title_terms body_terms}"
    # Any term finds candidates; how many clauses each one meets is counted from its terms (FTS5 has no
    # minimum-should-match, and an OR of every combination explodes for the long term lists of similar cases).
    expression = " OR ".join(_phrase(term) for clause in criterion.clauses for term in clause)
    rows = db.execute(
        "SELECT d.rowid, -bm25(fts, ?, ?, ?), fts.title_terms, fts.body_terms, fts.lessons_terms "
        f"FROM fts JOIN docs d ON d.rowid = fts.rowid WHERE fts MATCH ? AND {where}",
        (TITLE_WEIGHT, BODY_WEIGHT, BODY_WEIGHT, f"{columns} : ({expression})", *params),
    ).fetchall()
    matches = []
    for rowid, score, title_terms, body_terms, lessons_terms in rows:
        terms = set(f"{title_terms} {body_terms} {lessons_terms if include_lessons else ''}".split())
        if sum(1 for clause in criterion.clauses if terms.intersection(clause)) >= criterion.min_match:
            matches.append((rowid, criterion.weight * score))
    return matches


def _values_exist(column: str, values, *, negate: bool = False) -> str:
    """SQL: the document has (or, negated, has none) of `values` in the multi-valued `column` (a parameter)."""
    exists = f"EXISTS (SELECT 1 FROM doc_values v WHERE v.rowid = d.rowid AND v.field = ? AND v.value IN ({_marks(values)}))"
    return f"NOT {exists}" if negate else exists


def _delete(db: sqlite3.Connection, doc_id: str, version: int) -> None:
    row = db.execute("SELECT rowid, version FROM docs WHERE id = ?", (doc_id,)).fetchone()
    if row and row[1] <= version:
        _remove_row(db, row[0])


def _remove_row(db: sqlite3.Connection, rowid: int) -> None:
    db.execute("DELETE FROM fts WHERE rowid = ?", (rowid,))
    db.execute("DELETE FROM doc_values WHERE rowid = ?", (rowid,))
    db.execute("DELETE FROM docs WHERE rowid = ?", (rowid,))


def _filters(filters: dict, audiences: list[str]) -> tuple[str, list]:
    clauses, params = [f"d.audience IN ({_marks(audiences)})"], list(audiences)
    for name, value in filters.items():
        column = FILTER_FIELDS[name]
        if column in MULTI_VALUED:
            clauses.append("EXISTS (SELECT 1 FROM doc_values v WHERE v.rowid = d.rowid AND v.field = ? AND v.value = ?)")
            params += [column, value]
        else:
            clauses.append(f"d.{column} = ?")
            params.append(value)
    return " AND ".join(clauses), params


# FTS5 has no minimum-should-match. Up to this many combinations of `min_match` clauses, it is spelt in the MATCH
# expression (_match_expression); beyond, each clause is matched on its own and the documents meeting enough clauses
# are counted in Python: two in three of ten clauses would be 120 ANDs of seven, and BM25 pays for every phrase.
MATCH_MAX_COMBINATIONS = 10
# Multi-valued facets are counted from each hit's doc_values rows when the hits are at most this share of the index,
# else by one pass over the (field, value, rowid) index with a look-up of each row in `hits`.
FACET_BY_HIT_MAX_SHARE = 0.15


def _hits_fill(db: sqlite3.Connection, query: BackendQuery, where: str, params: list, columns: str, scalar: list[str]) -> int:
    """Every match into TEMP TABLE hits (rowid, score, published_at, id and the scalar facet columns as f_<column>),
    so that paging and facets never go back to docs; returns how many."""
    db.execute("PRAGMA temp_store = MEMORY")
    db.execute("DROP TABLE IF EXISTS temp.hits")
    db.execute(
        f"CREATE TEMP TABLE hits (rowid INTEGER PRIMARY KEY, score REAL, published_at TEXT, id TEXT{''.join(f', f_{c}' for c in scalar)})"
    )
    selected = "".join(f", d.{column}" for column in scalar)
    if not query.clauses:
        cursor = db.execute(f"INSERT INTO hits SELECT d.rowid, 0.0, d.published_at, d.id{selected} FROM docs d WHERE {where}", params)
        return cursor.rowcount
    restrict = ""
    min_match = query.min_match
    if min_match < len(query.clauses) and math.comb(len(query.clauses), min_match) > MATCH_MAX_COMBINATIONS:
        _clause_matches(db, query.clauses, min_match, columns)
        restrict, min_match = " AND +d.rowid IN (SELECT rowid FROM temp.matched)", 1
    expression = _match_expression(query.clauses, min_match, query.boosts)
    # CROSS JOIN keeps fts the outer loop. Left to itself, SQLite drives a filtered query (type = 'post') from the
    # docs index and asks FTS5 for each row in turn, which runs the whole MATCH again per row.
    cursor = db.execute(
        f"INSERT INTO hits SELECT d.rowid, -bm25(fts, ?, ?, ?), d.published_at, d.id{selected} "
        f"FROM fts CROSS JOIN docs d ON d.rowid = fts.rowid WHERE fts MATCH ? AND {where}{restrict}",
        (TITLE_WEIGHT, BODY_WEIGHT, BODY_WEIGHT, f"{columns} : ({expression})", *params),
    )
    return cursor.rowcount


def _clause_matches(db: sqlite3.Connection, clauses: tuple[tuple[str, ...], ...], min_match: int, columns: str) -> None:
    """TEMP TABLE matched: the rowids meeting at least `min_match` clauses, one MATCH per clause. The caller then
    matches any clause (for BM25) within these, which is the set the OR of combinations gives."""
    met: Counter[int] = Counter()
    for clause in clauses:
        expression = f"{columns} : (" + " OR ".join(_phrase(term) for term in clause) + ")"
        met.update(rowid for (rowid,) in db.execute("SELECT rowid FROM fts WHERE fts MATCH ?", (expression,)))
    db.execute("DROP TABLE IF EXISTS temp.matched")
    db.execute("CREATE TEMP TABLE matched (rowid INTEGER PRIMARY KEY)")
    db.executemany("INSERT INTO matched VALUES (?)", [(rowid,) for rowid, count in met.items() if count >= min_match])


def _facet_counts(db: sqlite3.Connection, scalar: list[str], multi: list[str], total: int) -> dict[str, list[tuple[object, int]]]:
    """(value, count) over the hits for every facet column: one statement over `hits` for the scalar columns and one
    over doc_values for all the multi-valued ones, instead of a GROUP BY joined to docs per facet."""
    counts: dict[str, list[tuple[object, int]]] = {}
    if scalar:
        sql = " UNION ALL ".join(
            f"SELECT {i}, f_{column}, COUNT(*) FROM hits WHERE f_{column} IS NOT NULL AND f_{column} != '' GROUP BY f_{column}"
            for i, column in enumerate(scalar)
        )
        for i, value, count in db.execute(sql):
            counts.setdefault(scalar[i], []).append((value, count))
    if multi:
        indexed = db.execute("SELECT MAX(rowid) FROM docs").fetchone()[0] or 0
        # Few hits: their own rows (doc_values_row); many: the whole index once, each row looked up in hits.
        join = "hits h CROSS JOIN doc_values v" if total <= FACET_BY_HIT_MAX_SHARE * indexed else "doc_values v CROSS JOIN hits h"
        sql = f"SELECT v.field, v.value, COUNT(*) FROM {join} ON v.rowid = h.rowid WHERE v.field IN ({_marks(multi)}) GROUP BY v.field, v.value"
        for field, value, count in db.execute(sql, multi):
            counts.setdefault(field, []).append((value, count))
    return counts


def _facet_top(counts: list[tuple[object, int]], size: int) -> list[tuple[str, int]]:
    """The `size` most frequent values, ties by value as SQLite orders them (numbers before text, text by code point)."""
    ordered = sorted(counts, key=lambda pair: (-pair[1], isinstance(pair[0], str), pair[0]))
    return [(str(value), count) for value, count in ordered[:size]]


def _phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _match_expression(clauses: tuple[tuple[str, ...], ...], min_match: int, boosts: tuple[str, ...]) -> str:
    """FTS5 has no minimum-should-match: spell it as an OR of the AND of every combination of `min_match` clauses."""
    alternatives = ["(" + " OR ".join(_phrase(term) for term in clause) + ")" for clause in clauses]
    if min_match >= len(alternatives):
        main = " AND ".join(alternatives)
    else:
        main = " OR ".join("(" + " AND ".join(combo) + ")" for combo in itertools.combinations(alternatives, min_match))
    if not boosts:
        return main
    # Matching stays `main`; the joins only add to BM25 for the documents that have them.
    return f"({main}) OR (({main}) AND ({' OR '.join(_phrase(term) for term in boosts)}))"


def _marks(values) -> str:
    return ", ".join("?" for _ in values) or "NULL"


def _idf(total: int, frequency: int) -> float:
    return math.log(1 + (total - frequency + 0.5) / (frequency + 0.5))


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
