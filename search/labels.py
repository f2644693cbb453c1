"""Labels for the codes and slugs the index stores: the index keeps identifiers, people read names.

Documents store place codes and vocabulary slugs only, so renaming a sector or a place never needs a reindex. The
maps are small (a few hundred places, a few dozen terms) and read once a minute at most per process.
"""

from __future__ import annotations

import threading
import time

from django.utils.translation import get_language, gettext_lazy

REFRESH_SECONDS = 60
LANGUAGE_LABELS = {"ko": "한국어", "en": "English"}
FEATURED_LABELS = {"yes": gettext_lazy("추천 사례")}  # the one value of the `featured` filter
STATIC_FACETS = ("type", "lang", "featured")  # values fixed in code: nothing to refresh from the database

_lock = threading.Lock()
_cache: dict = {"at": 0.0, "maps": None}


def label_for(facet: str, value: str) -> str:
    if facet == "type":
        from .service import DOCUMENT_TYPES

        return str(DOCUMENT_TYPES.get(value, value))
    if facet == "lang":
        return LANGUAGE_LABELS.get(value, value)
    if facet == "featured":
        return str(FEATURED_LABELS.get(value, value))
    if facet == "year":
        return str(value)
    names = _maps().get(facet, {}).get(str(value))
    if names is None:
        return str(value)
    korean, english = names
    return english if english and (get_language() or "ko").startswith("en") else korean


def known_value(facet: str, value: str) -> bool:
    """Whether a filter may take `value` (unknown ones are a parameter error, never silently ignored).

    A value missing from the cached maps is looked up once more after a refresh: an import may just have created
    a foreign city or a curator a technology.
    """
    if value in known_values(facet):
        return True
    if facet in STATIC_FACETS:
        return False
    labels_refresh()
    return value in known_values(facet)


def known_values(facet: str) -> set[str]:
    """Every value a filter may take, as cached."""
    if facet == "type":
        from .service import DOCUMENT_TYPES

        return set(DOCUMENT_TYPES)
    if facet == "lang":
        return set(LANGUAGE_LABELS)
    if facet == "featured":
        return set(FEATURED_LABELS)
    return set(_maps().get(facet, {}))


def facet_labels(raw: dict[str, list[tuple[str, int]]]):
    from .service import FacetValue

    facets = {}
    for facet, buckets in raw.items():
        values = [FacetValue(value=str(value), label=label_for(facet, str(value)), count=count) for value, count in buckets]
        if facet == "year":
            values.sort(key=lambda v: v.value, reverse=True)
        facets[facet] = values
    return facets


def labels_refresh() -> None:
    """Forget the cached maps (tests, and after a curator edits a vocabulary)."""
    with _lock:
        _cache["maps"] = None


def _maps() -> dict[str, dict[str, tuple[str, str]]]:
    with _lock:
        if _cache["maps"] is None or time.monotonic() - _cache["at"] > REFRESH_SECONDS:
            _cache["maps"], _cache["at"] = _load(), time.monotonic()
        return _cache["maps"]


def _load() -> dict[str, dict[str, tuple[str, str]]]:
    from cases.models import Award, Sector, Stage, Technology
    from hub.models import Place

    places = Place.objects.values_list("code", "name", "name_en", "level", "parent__name")
    regions, municipalities = {}, {}
    for code, name, name_en, level, parent_name in places:
        if level == Place.Level.PROVINCE:
            regions[code] = (name, name_en)
        else:
            municipalities[code] = (f"{parent_name} {name}" if parent_name else name, name_en)
    return {
        "region": regions,
        "municipality": municipalities,
        "sector": {slug: (name, en) for slug, name, en in Sector.objects.values_list("slug", "name", "name_en")},
        "technology": {slug: (name, en) for slug, name, en in Technology.objects.values_list("slug", "name", "name_en")},
        "stage": {slug: (name, en) for slug, name, en in Stage.objects.values_list("slug", "name", "name_en")},
        "award": {slug: (name, en) for slug, name, en in Award.objects.values_list("slug", "name", "name_en")},
    }
