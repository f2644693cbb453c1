"""Rebuild the hub index: bring stored documents up to date, fill a fresh index, swap it in with no downtime."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from search.backends import SearchUnavailable, get_backend
from search.indexing import index_rebuild


class Command(BaseCommand):
    help = "Rebuild the search index from the database (fresh index, then an atomic alias swap)."

    def add_arguments(self, parser):
        parser.add_argument("--reanalyse", action="store_true", help="analyse every document's text again (after an analyser change)")
        parser.add_argument("--stored-only", action="store_true", help="only move the stored documents into a fresh index")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, reanalyse=False, stored_only=False, no_progress=False, **options):
        show = not no_progress and (self.stdout.isatty() or options.get("verbosity", 1) > 1)
        started = time.perf_counter()
        try:
            report = index_rebuild(refresh_documents=not stored_only, reanalyse=reanalyse, on_progress=self._progress if show else None)
        except SearchUnavailable as error:
            raise CommandError(f"the search backend is unavailable: {error}") from error
        if show:
            self.stdout.write("")
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"search_reindex: {report.documents} documents in the new {get_backend().name} index "
                f"({report.analysed} analysed, {report.removed} removed, {report.caught_up} caught up) in {elapsed:.1f} s"
            )
        )

    def _progress(self, stage: str, done: int, total: int) -> None:
        if stage != getattr(self, "_stage", stage):
            sys.stdout.write("\n")
        self._stage = stage
        width = 30
        filled = width * done // total if total else width
        sys.stdout.write(f"\r{stage:<22} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        sys.stdout.flush()
