"""Smoke test of bench/digests.py: a tiny run against the test Elasticsearch reports every figure, the naive
baseline gives the sampled members exactly the batched entries, and the run cleans up after itself.

No timing is asserted (machines vary); the full run is `.venv/bin/python bench/digests.py` (20,000 members).
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

ROOT = Path(__file__).resolve().parent.parent.parent
BENCH = ROOT / "bench" / "digests.py"
MEMBERS, ITEMS, BACKGROUND, CASES, SAMPLE = 80, 150, 100, 15, 40
PHASES = {"profiles_sql", "request_building", "elasticsearch", "entry_building", "other"}


@pytest.fixture(scope="module")
def bench_run(elasticsearch_url):
    """The benchmark's JSON and the folder of its throw-away database."""
    arguments = [
        *("--members", str(MEMBERS), "--items", str(ITEMS), "--background", str(BACKGROUND), "--cases", str(CASES)),
        *("--naive-sample", str(SAMPLE), "--elasticsearch", elasticsearch_url, "--no-corpus-cache", "--json-only"),
    ]
    process = subprocess.Popen(
        [sys.executable, str(BENCH), *arguments], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr[-3000:]
    return json.loads(stdout), ROOT / "var" / "bench" / f"run-{process.pid}"


def test_reports_the_sizes_it_was_asked_for(bench_run):
    figures, _ = bench_run
    parameters = figures["parameters"]
    assert (parameters["members"], parameters["items"], parameters["background"], parameters["cases"]) == (
        MEMBERS,
        ITEMS,
        BACKGROUND,
        CASES,
    )
    assert parameters["naive_sample"] == SAMPLE and parameters["index_prefix"].startswith("bench-digests-")
    machine = figures["machine"]
    assert machine["elasticsearch"].startswith("8.") and len(machine["load_average_start"]) == 3
    index = figures["index"]
    # The week's items, the older corpus, the real cases and communities: all in the index, the week's in the window.
    assert index["documents"] == index["elasticsearch_count"] == ITEMS + BACKGROUND + CASES + 11
    assert index["in_window"] == ITEMS and set(index["in_window_by_type"]) == {"case", "log", "post"}
    assert index["in_window_logs_of_followable_cases"] > 0


def test_members_have_every_kind_of_criterion(bench_run):
    figures, _ = bench_run
    setup = figures["setup"]["members"]
    assert setup["members"] == MEMBERS and setup["follows"] > 0 and setup["memberships"] > 0
    criteria = figures["criteria"]
    assert {"sector", "technology", "similar"} <= set(criteria["by_kind"])
    assert criteria["per_member"] >= 2


def test_batched_run_figures(bench_run):
    figures, _ = bench_run
    batched = figures["batched"]
    assert batched["members"] == MEMBERS and batched["seconds"] > 0 and batched["members_per_s"] > 0
    assert set(batched["phases_seconds"]) == PHASES
    counts = batched["counts"]
    # One search per member, in msearch requests of 200; similar projects read term vectors; profiles come from SQL.
    assert counts["searches"] == MEMBERS and counts["msearch_requests"] == 1
    assert counts["termvectors_requests"] > 0 and counts["sql_queries"] > 0
    entries = batched["entries"]
    assert entries["members_with_entries"] > MEMBERS // 2
    assert {"technology", "sector"} <= set(entries["reasons_by_code"])
    assert [step["members"] for step in figures["growth"]] == [MEMBERS // 4, MEMBERS // 2, MEMBERS]
    assert figures["growth"][-1]["seconds"] == batched["seconds"]
    target = figures["targets"]["batched_seconds"]
    assert target["value"] == batched["seconds"] and isinstance(target["met"], bool)


def test_naive_baseline_sends_one_search_per_criterion_and_agrees(bench_run):
    figures, _ = bench_run
    naive = figures["naive"]
    assert naive["naive_measured_members"] == SAMPLE and naive["naive_extrapolated_members"] == MEMBERS
    assert naive["naive_extrapolated_seconds"] == pytest.approx(naive["measured_seconds"] * MEMBERS / SAMPLE, abs=0.1)
    counts = naive["counts"]
    assert counts["naive_searches"] > SAMPLE  # several criteria per member, one search each
    assert counts.get("naive_truncated_criteria", 0) == 0
    assert set(naive["phases_seconds"]) == PHASES
    assert figures["ratio_naive_over_batched"] > 0 and naive["same_members_ratio"] > 0
    agreement = figures["agreement"]
    assert agreement["members_compared"] == SAMPLE
    assert agreement["identical"] == SAMPLE, agreement["examples"]


def test_cleans_up_its_database_and_index(bench_run, elasticsearch_url):
    figures, run_dir = bench_run
    assert not run_dir.exists()
    client = Elasticsearch(elasticsearch_url)
    assert not client.indices.get(index=f"{figures['parameters']['index_prefix']}-*", allow_no_indices=True)
