"""Accuracy and speed of the PII scanner (hub/pii.py), as JSON.

    .venv/bin/python bench/pii.py [--megabytes 2] [--repeat 3]

Accuracy: precision, recall and F1 on tests/data/pii_corpus.json (the same corpus the tests assert on), overall and
per type. Speed: characters per second of `pii_scan_text` on about 2 MB of case-study prose (the demo cases'
sentences, recombined) with the corpus texts sprinkled in, so the scanner sees realistic text with numbers, dates,
budgets and a few real findings; best of `--repeat` runs. A case study is about 5,000 characters: the guard's cost
per publication is that divided by the rate.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hub.pii import PII_TYPES, pii_scan_text, pii_score  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "pii_corpus.json"


def corpus_items() -> list[dict]:
    corpus = json.loads(CORPUS.read_text(encoding="utf-8"))
    return corpus["positive"] + corpus["negative"]


def accuracy(items: list[dict]) -> dict:
    overall = pii_score(items)
    return {
        "texts": len(items),
        "expected_findings": overall.true_positives + overall.false_negatives,
        "true_positives": overall.true_positives,
        "false_positives": overall.false_positives,
        "false_negatives": overall.false_negatives,
        "precision": round(overall.precision, 4),
        "recall": round(overall.recall, 4),
        "f1": round(overall.f1, 4),
        "per_type": per_type(items),
        "misses": overall.misses,
    }


def per_type(items: list[dict]) -> dict:
    counts = {kind: Counter() for kind in PII_TYPES}
    for item in items:
        found = Counter((f.type, f.text) for f in pii_scan_text(item["text"]))
        expected = Counter((e["type"], e["text"]) for e in item["expected"])
        for label, pairs in (("tp", found & expected), ("fp", found - expected), ("fn", expected - found)):
            for (kind, _text), n in pairs.items():
                counts[kind][label] += n
    result = {}
    for kind, c in counts.items():
        result[kind] = {
            "expected": c["tp"] + c["fn"],
            "precision": round(c["tp"] / (c["tp"] + c["fp"]), 4) if c["tp"] + c["fp"] else 1.0,
            "recall": round(c["tp"] / (c["tp"] + c["fn"]), 4) if c["tp"] + c["fn"] else 1.0,
        }
    return result


def prose(megabytes: float, items: list[dict], seed: int = 11) -> str:
    cases = json.loads((ROOT / "cases" / "demo" / "cases.json").read_text(encoding="utf-8"))
    sentences = []
    for case in cases:
        for field in ("title", "summary", "problem", "solution", "outcomes", "lessons", "partners", "vendors"):
            sentences += [s.strip() for s in re.split(r"(?<=[.!?다])\s+|\n+", case.get(field) or "") if len(s.strip()) > 10]
    extras = [i["text"] for i in items]
    rng = random.Random(seed)
    parts, size = [], 0
    while size < megabytes * 1_000_000:
        sentence = rng.choice(extras) if rng.random() < 0.05 else rng.choice(sentences)
        parts.append(sentence)
        size += len(sentence.encode("utf-8")) + 1
    return "\n".join(parts)


def throughput(text: str, repeat: int) -> dict:
    best, found = float("inf"), 0
    for _ in range(repeat):
        started = time.perf_counter()
        found = len(pii_scan_text(text))
        best = min(best, time.perf_counter() - started)
    rate = len(text) / best
    return {
        "characters": len(text),
        "megabytes_utf8": round(len(text.encode("utf-8")) / 1e6, 2),
        "seconds": round(best, 4),
        "chars_per_second": round(rate),
        "findings": found,
        "ms_per_5000_char_case": round(5000 / rate * 1000, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=2.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    items = corpus_items()
    result = {
        "corpus": str(CORPUS.relative_to(ROOT)),
        "accuracy": accuracy(items),
        "throughput": throughput(prose(args.megabytes, items), args.repeat),
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
