"""Throughput of the search analyser against raw Kiwi, as JSON.

    .venv/bin/python bench/analysis.py [--megabytes 2] [--workers 2]

Builds a synthetic mixed Korean/English corpus (about 2 MB of text) by recombining the sentences of the demo case
studies (`cases/demo/cases.json`) with a few English ones, then measures, in characters per second: raw
`Kiwi.tokenize` on one core, `search.analysis.terms` on one core, and `search.analysis.terms_batch` with several
worker processes. Targets: `terms` at least 80% of raw Kiwi; the batch about 1.6-2x one core on two cores.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ENGLISH = [
    "The city deployed IoT sensors and AI-based monitoring to reduce traffic accidents at school crossings.",
    "Participatory budgeting let residents propose smart city projects, including digital twin reports.",
    "Fine dust (PM2.5) readings from 300 sensors are published as open data every five minutes.",
    "A chatbot answers complaints about parking, and RPA bots process 1,200 permit applications a month.",
    "Self-driving shuttles ran on a 4.2 km route; the evaluation reports lower waiting times and costs.",
]


def corpus(megabytes: float, seed: int = 7) -> list[str]:
    """Paragraphs of 3-8 sentences drawn from the demo cases and the English lines above, until the size is reached."""
    cases = json.loads((ROOT / "cases" / "demo" / "cases.json").read_text(encoding="utf-8"))
    sentences = list(ENGLISH)
    for case in cases:
        for field in ("title", "summary", "problem", "solution", "outcomes", "lessons"):
            text = case.get(field) or ""
            sentences += [s.strip() for s in re.split(r"(?<=[.!?다])\s+|\n+", text) if len(s.strip()) > 10]
    rng = random.Random(seed)
    texts: list[str] = []
    size = 0
    while size < megabytes * 1_000_000:
        paragraph = " ".join(rng.choice(sentences) for _ in range(rng.randint(3, 8)))
        texts.append(paragraph)
        size += len(paragraph.encode("utf-8"))
    return texts


def rss_mb() -> float:
    """Resident set size of this process now, in MB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def rate(chars: int, func) -> float:
    """Characters per second of one call of `func`."""
    start = time.perf_counter()
    func()
    return chars / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=2.0, help="size of the synthetic corpus (UTF-8)")
    parser.add_argument("--workers", type=int, default=2, help="processes for terms_batch")
    parser.add_argument("--rounds", type=int, default=2, help="measurements of each kind; the best is reported")
    args = parser.parse_args()

    import kiwipiepy

    from search import analysis

    texts = corpus(args.megabytes)
    chars = sum(map(len, texts))
    rss_before = rss_mb()
    start = time.perf_counter()
    analysis.analysis_preload()
    load_seconds = time.perf_counter() - start
    rss_loaded = rss_mb()
    kiwi = analysis._kiwi_get()

    # Interleaved rounds, best of each: the machine may be shared, and the first round warms Kiwi and the caches.
    raw = module = batch = 0.0
    children_before, batch_wall = os.times(), 0.0
    for _ in range(args.rounds):
        raw = max(raw, rate(chars, lambda: [kiwi.tokenize(t) for t in texts]))
        module = max(module, rate(chars, lambda: [analysis.terms(t) for t in texts]))
        batch_rate = rate(chars, lambda: analysis.terms_batch(texts, workers=args.workers))
        batch, batch_wall = max(batch, batch_rate), batch_wall + chars / batch_rate
    children_after = os.times()
    # CPU seconds the pool's workers used per second of batch wall time: about `workers` when every worker had a core.
    batch_cores = (
        children_after.children_user + children_after.children_system - children_before.children_user - children_before.children_system
    ) / batch_wall
    query = "스마트 횡단보도 IoT 미세먼지 participatory budgeting 사례"
    query_seconds = min(_timed(lambda: analysis.query_terms(query)) for _ in range(50))

    print(
        json.dumps(
            {
                "kiwipiepy": kiwipiepy.__version__,
                "model_type": analysis.kiwi_model_type(),
                "cpu_count": os.cpu_count(),
                "corpus": {"texts": len(texts), "chars": chars, "utf8_bytes": sum(len(t.encode()) for t in texts)},
                "kiwi_load_seconds": round(load_seconds, 2),
                "kiwi_rss_delta_mb": round(rss_loaded - rss_before, 1),
                "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "raw_tokenize_chars_per_s": round(raw),
                "terms_chars_per_s": round(module),
                "terms_batch_chars_per_s": round(batch),
                "batch_workers": args.workers,
                "batch_cores_used": round(batch_cores, 2),
                "load_average_1min_after": os.getloadavg()[0],
                "terms_vs_raw": round(module / raw, 3),
                "batch_vs_terms": round(batch / module, 3),
                "query_terms_ms": round(query_seconds * 1000, 2),
            },
            indent=2,
        )
    )


def _timed(func) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
