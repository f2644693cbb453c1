import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings.dev")
application = get_wsgi_application()

# Load the Korean analyser (Kiwi, about 2 s and 500 MB) now, not in the first search request; under gunicorn
# --preload this runs before the fork, so the workers share its pages (DESIGN.md §4).
from django.conf import settings  # noqa: E402

if settings.SEARCH_PRELOAD_ANALYSER:
    from search.analysis import analysis_preload  # noqa: E402

    analysis_preload()
