"""Score the configured search backend on the judged relevance set (search/data/relevance.json); JSON on stdout."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from search.backends import SearchUnavailable
from search.relevance import RELEVANCE_PATH, RelevanceSetError, relevance_run, relevance_viewer

DEFAULT_MIN_NDCG = 0.8


class Command(BaseCommand):
    help = "nDCG@10 and recall@10 of the configured search backend on the judged demo queries; exits 1 below --min-ndcg."

    def add_arguments(self, parser):
        parser.add_argument(
            "--min-ndcg", type=float, default=DEFAULT_MIN_NDCG, help=f"fail below this mean nDCG@10 (default {DEFAULT_MIN_NDCG})"
        )
        parser.add_argument("--viewer", default="", help="e-mail of the approved member to search as (default: the set's own)")
        parser.add_argument("--file", type=Path, default=RELEVANCE_PATH, help="the judged set (default search/data/relevance.json)")

    def handle(self, *args, min_ndcg, viewer, file, **options):
        try:
            report = relevance_run(viewer=relevance_viewer(viewer, path=file), path=file)
        except RelevanceSetError as error:
            raise CommandError(f"relevance set: {error}") from error
        except SearchUnavailable as error:
            raise CommandError(f"the search backend is unavailable: {error}") from error
        self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        if report.ndcg < min_ndcg:
            raise CommandError(f"{report.backend}: mean nDCG@10 {report.ndcg:.4f} is below --min-ndcg {min_ndcg}")
