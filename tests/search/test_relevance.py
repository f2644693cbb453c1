"""The judged relevance set (search/data/relevance.json) on the real demo content, held on both backends.

One test loads the demo once (the real `load_demo` import) and scores SQLite-FTS5 and then Elasticsearch on it, so
the slow part, loading and analysing the content, is paid once; the second backend reuses the stored terms.
"""

import contextlib
import io
import json
import math
import time
import uuid

import pytest
from django.core.management import CommandError, call_command

from search.backends import get_backend
from search.indexing import index_rebuild
from search.labels import labels_refresh
from search.relevance import RECALL_MIN_GRADE, RelevanceReport, ndcg_at, relevance_run, relevance_set_load, relevance_viewer

NDCG_FLOOR = 0.8  # issue 3 item 10: both backends at nDCG@10 ≥ 0.8
# Measured 0.91 on both backends when the set was written; the floor leaves room for small ranking changes only.
RECALL_FLOOR = 0.85


def test_ndcg_uses_linear_gains_a_log2_discount_and_every_judged_document_for_the_ideal():
    assert ndcg_at([3, 2, 1], [1, 2, 3]) == 1.0
    assert ndcg_at([0, 3], [3]) == pytest.approx(1 / math.log2(3))
    assert ndcg_at([2, 3], [3, 2]) == pytest.approx((2 + 3 / math.log2(3)) / (3 + 2 / math.log2(3)))
    # A judged document the ranking never shows still counts in the ideal.
    assert ndcg_at([3], [3, 3]) == pytest.approx(3 / (3 + 3 / math.log2(3)))
    assert ndcg_at([], [3]) == 0.0
    assert ndcg_at([0] * 10 + [3], [3]) == 0.0  # rank 11 is past the cut-off


def test_the_set_covers_what_the_issue_asks_for():
    queries = relevance_set_load().queries
    assert len(queries) >= 40
    assert sum(q.kind == "suggest" for q in queries) >= 5
    assert {"region", "municipality", "sector", "stage", "type", "year", "lang"} <= {f for q in queries for f in q.filters}
    texts = {q.text for q in queries}
    for pair in [("참여예산", "참여 예산"), ("횡단보도", "횡단 보도"), ("사물인터넷", "IoT"), ("digital twin", "디지털 트윈")]:
        assert set(pair) <= texts, pair
    assert all(any(g >= RECALL_MIN_GRADE for g in q.judgments.values()) for q in queries)


@pytest.mark.django_db
def test_both_backends_rank_the_judged_demo_queries_well(settings, tmp_path, elasticsearch_url, capsys):
    started = time.perf_counter()
    call_command("load_demo", stdout=io.StringIO())
    viewer = relevance_viewer()
    loaded = time.perf_counter()
    reports: dict[str, RelevanceReport] = {}
    for name in ("sqlite", "elasticsearch"):
        with _backend(settings, name, tmp_path, elasticsearch_url):
            index_rebuild()
            reports[name] = relevance_run(viewer=viewer)
            if name == "sqlite":
                _check_command(reports[name], tmp_path)
    with capsys.disabled():
        for name, report in reports.items():
            weakest = ", ".join(f"{s.query.id} {s.ndcg:.2f}" for s in report.weakest(4))
            print(f"\nrelevance {name}: nDCG@10 {report.ndcg:.4f}, recall@10 {report.recall:.4f}; weakest: {weakest}")  # noqa: T201
        print(f"relevance: demo loaded in {loaded - started:.1f} s, whole test {time.perf_counter() - started:.1f} s")  # noqa: T201
    for name, report in reports.items():
        assert len(report.scores) == len(relevance_set_load().queries)
        assert report.ndcg >= NDCG_FLOOR, (name, report.ndcg, [(s.query.id, round(s.ndcg, 2)) for s in report.weakest(8)])
        assert report.recall >= RECALL_FLOOR, (name, report.recall)


def _check_command(report: RelevanceReport, tmp_path) -> None:
    """`manage.py search_relevance` prints the same figures as JSON and exits non-zero below --min-ndcg or on a bad set."""
    out = io.StringIO()
    call_command("search_relevance", stdout=out)
    printed = json.loads(out.getvalue())
    assert printed["backend"] == "sqlite" and printed["queries"] == len(report.scores)
    assert printed["ndcg@10"] == round(report.ndcg, 4) and printed["recall@10"] == round(report.recall, 4)
    first = printed["per_query"][0]
    assert {"id", "kind", "text", "filters", "ndcg@10", "recall@10", "returned", "missed"} <= set(first)
    with pytest.raises(CommandError, match="below --min-ndcg"):
        call_command("search_relevance", "--min-ndcg", "1.01", stdout=io.StringIO())
    bad = tmp_path / "relevance.json"
    bad.write_text(
        json.dumps(
            {
                "viewer": "yoon@gachi.example",
                "queries": [
                    {"id": "typo", "text": "드론", "judgments": {"case:gangwon-gangneung-drone-wildfir": 3}},
                ],
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="typo.*gangwon-gangneung-drone-wildfir.*no document"):
        call_command("search_relevance", "--file", str(bad), stdout=io.StringIO())
    bad.write_text(
        json.dumps(
            {
                "viewer": "yoon@gachi.example",
                "queries": [
                    {
                        "id": "elsewhere",
                        "text": "드론",
                        "filters": {"region": "11000"},
                        "judgments": {"case:gangwon-gangneung-drone-wildfire": 3},
                    },
                ],
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="elsewhere.*outside the query's filters"):
        call_command("search_relevance", "--file", str(bad), stdout=io.StringIO())


@contextlib.contextmanager
def _backend(settings, name: str, tmp_path, elasticsearch_url: str):
    """That backend on a fresh index of its own, as the search_sqlite / search_elasticsearch fixtures configure it."""
    settings.SEARCH_BACKEND = name
    settings.SEARCH_INDEX_PREFIX = f"test-relevance-{uuid.uuid4().hex[:12]}"
    if name == "sqlite":
        settings.SEARCH_SQLITE_DIR = tmp_path / "search"
    else:
        settings.ELASTICSEARCH_URL = elasticsearch_url
    get_backend.cache_clear()
    labels_refresh()
    backend = get_backend()
    backend.ensure_index()
    try:
        yield backend
    finally:
        backend.drop()
        get_backend.cache_clear()
