"""Smoke test of bench/search.py: a tiny run against the test Elasticsearch reports every figure and cleans up.

No timing is asserted (CI machines vary); the full run is `.venv/bin/python bench/search.py` (100,000 documents).
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

ROOT = Path(__file__).resolve().parent.parent.parent
BENCH = ROOT / "bench" / "search.py"
DOCS, QUERIES = 300, 20
LATENCY_RUNS = ("elasticsearch", "elasticsearch_at_sqlite_size", "sqlite", "wagtail_database")
TARGETS = {
    "analysis_terms_vs_raw",
    "analysis_two_core_speedup",
    "reindex_elasticsearch_docs_per_s",
    "reindex_sqlite_docs_per_s",
    "elasticsearch_p95_ms",
    "wagtail_p95_ratio_vs_sqlite",
    "wagtail_p95_ratio_vs_elasticsearch",
}


@pytest.fixture(scope="module")
def bench_run(elasticsearch_url):
    """The benchmark's JSON and the folder of its throw-away database and index files."""
    arguments = [
        *("--docs", str(DOCS), "--sqlite-docs", str(DOCS), "--queries", str(QUERIES), "--warmup", "5"),
        *("--analysis-chars", "20000", "--analysis-rounds", "1", "--elasticsearch", elasticsearch_url),
        *("--no-corpus-cache", "--json-only"),
    ]
    process = subprocess.Popen(
        [sys.executable, str(BENCH), *arguments], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr[-3000:]
    return json.loads(stdout), ROOT / "var" / "bench" / f"run-{process.pid}"


def test_reports_the_sizes_it_was_asked_for(bench_run):
    figures, _ = bench_run
    assert figures["parameters"] | {"index_prefix": None} == {
        "docs": DOCS,
        "sqlite_docs": DOCS,
        "queries": QUERIES,
        "seed": 3,
        "index_prefix": None,
    }
    assert figures["machine"]["cpu_count"] >= 1 and figures["machine"]["elasticsearch"].startswith("8.")
    corpus = figures["corpus"]
    assert corpus["documents"] == DOCS and set(corpus["by_type"]) == {"case", "log", "post"}
    assert 0 < corpus["english_share"] < 0.5 and corpus["members_only"] > 0
    assert corpus["mean_chars_by_type"]["case"] > corpus["mean_chars_by_type"]["log"] > corpus["mean_chars_by_type"]["post"]
    assert figures["queries"]["measured"] == QUERIES


def test_corpus_is_analysed_sentence_by_sentence_close_to_whole_texts(bench_run):
    corpus = bench_run[0]["setup"]["corpus"]
    assert corpus["from_cache"] is False  # --no-corpus-cache
    assert 0 < corpus["distinct_sentence_chars"] < corpus["text_chars"]
    assert corpus["analyse_workers"] == 2 and corpus["analyse_cores_used"] > 0
    fidelity = corpus["fidelity"]
    assert fidelity["texts"] > 0 and fidelity["mean_jaccard"] >= 0.95, fidelity


def test_analysis_throughput_against_raw_kiwi(bench_run):
    analysis = bench_run[0]["analysis"]
    assert analysis["model_type"] == "cong" and analysis["batch_workers"] == 2
    assert analysis["sample_chars"] >= 20_000
    for name in ("raw_tokenize_chars_per_s", "terms_chars_per_s", "terms_batch_chars_per_s", "terms_vs_raw", "two_core_speedup"):
        assert analysis[name] > 0, name
    assert analysis["batch_cores_used"] > 0  # the pool's workers did the work
    assert len(analysis["two_core_speedup_rounds"]) == 1 and analysis["parallel_efficiency"] > 0


def test_reindex_moves_stored_documents_without_kiwi(bench_run):
    reindex = bench_run[0]["reindex"]
    for backend in ("elasticsearch", "sqlite"):
        assert reindex[backend]["documents"] == DOCS
        assert reindex[backend]["docs_per_s"] > 0
        assert reindex[backend]["analysed"] == 0


def test_latency_of_every_engine_with_facets(bench_run):
    latency = bench_run[0]["latency"]
    for run in LATENCY_RUNS:
        figures = latency[run]
        assert figures["queries"] == QUERIES and figures["documents"] == DOCS, run
        assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"] <= figures["max_ms"], run
    # The hub's analyser finds what the queries ask for; both backends share it.
    assert latency["elasticsearch"]["mean_hits"] > 0 and latency["sqlite"]["mean_hits"] > 0
    assert latency["elasticsearch"]["zero_hit_queries"] < QUERIES


def test_wagtail_ratio_and_targets(bench_run):
    figures = bench_run[0]
    latency, ratios = figures["latency"], figures["wagtail_p95_ratio"]
    assert ratios["vs_sqlite_same_size"] == pytest.approx(latency["wagtail_database"]["p95_ms"] / latency["sqlite"]["p95_ms"], abs=0.06)
    assert ratios["vs_elasticsearch_full_size"] > 0 and ratios["vs_elasticsearch_same_size"] > 0
    assert set(figures["targets"]) == TARGETS
    for name, target in figures["targets"].items():
        assert isinstance(target["met"], bool) and target["value"] is not None and target["target"], name


def test_cleans_up_what_it_created(bench_run, elasticsearch_url):
    figures, run_dir = bench_run
    client = Elasticsearch(elasticsearch_url, request_timeout=30)
    assert not dict(client.indices.get(index=f"{figures['parameters']['index_prefix']}-*", expand_wildcards="all"))
    assert not run_dir.exists()
