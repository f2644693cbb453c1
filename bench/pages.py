"""Server time and SQL queries of the main pages with the demo content, as JSON.

    .venv/bin/python bench/pages.py [--repeat 30] [--database-url sqlite:////tmp/bench.sqlite3]

Builds a fresh database (migrate + load_demo, as `make run` does), then renders each page through Django's test
client — the full middleware stack, no network — anonymously and as a signed-in member, and reports the median and
95th percentile of the server time and the number of SQL queries per request.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="requests per page and viewer")
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file in a temporary folder")
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="gachi-bench-")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="hub.settings.dev",
        DEBUG="false",
        HUB_ENV="bench",
        DATABASE_URL=args.database_url or f"sqlite:///{folder}/bench.sqlite3",
        MEDIA_ROOT=f"{folder}/media",
        CELERY_TASK_ALWAYS_EAGER="true",
        CELERY_BROKER_FOLDER=f"{folder}/broker",
        LOG_LEVEL="WARNING",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["testserver"]
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    setup_seconds = time.perf_counter() - started

    pages = pages_to_measure()
    figures = {"repeat": args.repeat, "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]}
    figures["setup_seconds"] = round(setup_seconds, 1)
    figures["pages"] = {name: measure(url, args.repeat) for name, url in pages.items()}
    print(json.dumps(figures, ensure_ascii=False, indent=2))


def pages_to_measure() -> dict[str, str]:
    from cases.models import CaseStudyPage
    from communities.models import CommunityPage

    case = max(CaseStudyPage.objects.live().filter(visibility="public"), key=lambda c: c.log_entries.count())
    community = max(CommunityPage.objects.live(), key=lambda c: c.posts.count())
    return {
        "home": "/",
        "case_index": "/cases/",
        f"case_page ({case.log_entries.count()} logs)": case.url,
        f"community_page ({community.posts.count()} posts)": community.url,
        "community_index": "/communities/",
    }


def measure(url: str, repeat: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    member = get_user_model().objects.filter(member__is_approved=True, groups__isnull=True).first()
    result = {"url": url}
    for viewer in ("anonymous", "member"):
        client = Client()
        if viewer == "member":
            client.force_login(member)
        client.get(url)  # warm caches and templates
        times, queries = [], 0
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, viewer, response.status_code)
            queries = len(captured.captured_queries)
        times.sort()
        result[viewer] = {
            "median_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
            "queries": queries,
        }
    return result


if __name__ == "__main__":
    main()
