"""Harvesting case studies from peer hubs (README "Harvesting").

    <peer>/api/v1/cases/?page_size=100 (every page, following `next`) ─> summaries (key, url, last_published_at)
       └─ per case: <peer>/api/v1/cases/<key>/ ─> the import record format ─> the import's validation
          ─> a remote CaseStudyPage (origin_hub, origin_key, origin_url, harvested_at), created or updated, published

A remote case has a key of its own (`remote_case_key`), so it never meets a local case; it is found again by
(origin_hub, origin_key), so a re-harvest updates it instead of adding another, and only when what the peer says
differs from what we hold. Only what the peer shows anonymously is harvested (its public cases). A full harvest
(no `since`) also withdraws (unpublishes) remote cases the peer no longer shows, e.g. made members-only there.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.client import HTTPException
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from hub.models import Place
from hub.pii_guard import pii_findings_in

from .admin_forms import CASE_PII_FIELDS
from .importing import CaseRow, Vocabulary, case_row_apply, validate_records
from .models import CaseIndexPage, CaseStudyPage

LIST_PATH = "/api/v1/cases/"
PAGE_SIZE = 100
MAX_PAGES = 10_000
MAX_ANSWER_BYTES = 20 * 1024 * 1024
MAX_KEY = 120
MAX_URL = 200  # origin_hub / origin_url are URLFields of Django's default length
USER_AGENT = "GachiHub-Harvester/1"
# The peer's API limits anonymous callers (429 with Retry-After): wait, within reason, rather than give up.
RATE_LIMIT_ATTEMPTS = 4
MAX_RETRY_AFTER = 60.0
DEFAULT_RETRY_AFTER = 5.0


class HarvestError(Exception):
    """The peer cannot be harvested as asked: a bad URL, an answer that is not the cases API. Retrying will not help."""

    def __init__(self, url: str, reason: str, *, status: int | None = None) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.status = status  # the HTTP status of a refused request


class PeerUnavailable(HarvestError):
    """The peer did not answer (connection refused, timeout, HTTP 5xx). Worth retrying later."""


@dataclass
class HarvestReport:
    base_url: str
    dry_run: bool = False
    created: list[str] = field(default_factory=list)  # the peer's keys, in the order the peer lists them
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    older: list[str] = field(default_factory=list)  # last published before `since`: not fetched
    withdrawn: list[str] = field(default_factory=list)  # no longer shown by the peer: unpublished here
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (key, why) — data this hub cannot take
    errors: list[str] = field(default_factory=list)  # cases whose detail could not be fetched or read

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return (
            f"{self.base_url}: created {len(self.created)}, updated {len(self.updated)}, unchanged {len(self.unchanged)}, "
            f"skipped {len(self.skipped)}, withdrawn {len(self.withdrawn)}, older than --since {len(self.older)}, "
            f"errors {len(self.errors)}" + (" (dry run: nothing written)" if self.dry_run else "")
        )


class _SchemaMismatch(Exception):
    """The answer is not shaped like the cases API (cases/api.py): a missing field, a list where an object belongs."""


class _Unusable(Exception):
    """One case this hub cannot take as the peer sent it (unknown sector, personal data...); the others go on."""


# Addresses ----------------------------------------------------------------------------------------------------------


def hub_base_url_normalise(url: str) -> str:
    """The peer's base URL as stored in origin_hub: http(s), lower-case host, no default port, no trailing slash.

    A pasted API address (`…/api/v1/cases/`) is taken back to the hub's base.
    """
    parts = urlsplit(str(url).strip())
    if parts.scheme.lower() not in ("http", "https"):
        raise HarvestError(url, "only http:// and https:// hubs can be harvested")
    if not parts.hostname:
        raise HarvestError(url, "no host in the URL")
    if parts.username or parts.password:
        raise HarvestError(url, "credentials in the URL are not supported (they would be stored with every case)")
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        raise HarvestError(url, "the port is not a number") from None
    host = parts.hostname.lower()
    host = f"[{host}]" if ":" in host else host
    netloc = host if port in (None, {"http": 80, "https": 443}[scheme]) else f"{host}:{port}"
    path = re.sub(r"(/api/v1(/cases)?)?/*$", "", parts.path)
    base = urlunsplit((scheme, netloc, path, "", ""))
    if len(base) > MAX_URL:
        raise HarvestError(url, f"longer than {MAX_URL} characters")
    return base


def remote_case_key(base_url: str, peer_key: str) -> str:
    """This hub's key for a peer's case: `remote-<hub hash>-<peer key>`, a slug of at most 120 characters.

    Stable (the same hub and key give the same key on every harvest) and distinct per (hub, key): a peer key that had
    to be changed to fit (case, characters, length) carries a hash of the original.
    """
    hub_hash = hashlib.sha256(base_url.encode()).hexdigest()[:8]
    slug = re.sub(r"[^a-z0-9_-]+", "-", peer_key.lower()).strip("-_") or "case"
    key = f"remote-{hub_hash}-{slug}"
    if slug != peer_key or len(key) > MAX_KEY:
        key_hash = hashlib.sha256(peer_key.encode()).hexdigest()[:8]
        key = f"{key[: MAX_KEY - len(key_hash) - 1].rstrip('-_')}-{key_hash}"
    return key


def _same_hub(base_url: str, link: str) -> bool:
    # A proxy may answer http:// links for an https:// hub; what must not change is the host.
    ours, theirs = urlsplit(base_url), urlsplit(link)
    return theirs.scheme in ("http", "https") and (theirs.hostname, theirs.port) == (ours.hostname, ours.port)


# Fetching -----------------------------------------------------------------------------------------------------------


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).scheme not in ("http", "https"):
            raise HarvestError(req.full_url, f"redirected to a non-http(s) address {newurl}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_opener = urllib.request.build_opener(_HttpOnlyRedirects)


def _get_json(url: str) -> Any:
    """The JSON answer at `url`. Past the peer's rate limit (429), wait as its Retry-After says, a few times."""
    for _attempt in range(RATE_LIMIT_ATTEMPTS - 1):
        try:
            return _get_json_once(url)
        except _RateLimited as limited:
            time.sleep(limited.wait)
    try:
        return _get_json_once(url)
    except _RateLimited:
        raise PeerUnavailable(url, f"HTTP 429: still rate-limited after {RATE_LIMIT_ATTEMPTS} attempts") from None


class _RateLimited(Exception):
    def __init__(self, wait: float) -> None:
        self.wait = wait


def _retry_after(error: urllib.error.HTTPError) -> float:
    value = (error.headers.get("Retry-After") or "").strip()
    return min(float(value), MAX_RETRY_AFTER) if value.isdigit() else DEFAULT_RETRY_AFTER


def _get_json_once(url: str) -> Any:
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": USER_AGENT})
    try:
        with _opener.open(request, timeout=settings.HUB_HARVEST_TIMEOUT) as response:
            body = response.read(MAX_ANSWER_BYTES + 1)
            content_type = response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        if error.code == 429:
            raise _RateLimited(_retry_after(error)) from None
        problem = PeerUnavailable if error.code >= 500 else HarvestError
        raise problem(url, f"HTTP {error.code} {error.reason}", status=error.code) from None
    except urllib.error.URLError as error:
        raise PeerUnavailable(url, f"cannot reach the hub ({error.reason})") from None
    except (OSError, HTTPException) as error:  # timeouts, resets, broken HTTP
        raise PeerUnavailable(url, f"cannot reach the hub ({error or type(error).__name__})") from None
    if len(body) > MAX_ANSWER_BYTES:
        raise HarvestError(url, f"the answer is larger than {MAX_ANSWER_BYTES // (1024 * 1024)} MB")
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise HarvestError(url, f"the answer is not JSON (Content-Type {content_type or 'missing'}); is this a Gachi Hub?") from None


def _field(data: Any, name: str, *types: type, where: str = "") -> Any:
    label = f"{where}.{name}" if where else name
    if not isinstance(data, dict) or name not in data:
        raise _SchemaMismatch(f"the answer has no '{label}'")
    value = data[name]
    if types and not isinstance(value, types):
        expected = " or ".join("null" if t is type(None) else t.__name__ for t in types)
        raise _SchemaMismatch(f"'{label}' is {type(value).__name__}, expected {expected}")
    return value


def _timestamp(value: str | None, label: str) -> datetime.datetime | None:
    if value is None:
        return None
    moment = parse_datetime(value)
    if moment is None:
        raise _SchemaMismatch(f"'{label}' is not an ISO date-time: {value!r}")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def peer_case_summaries(base_url: str) -> list[dict]:
    """Every case the peer lists (all pages), as {key, url, last_published_at (datetime or None)}, newest first."""
    url, seen, summaries = f"{base_url}{LIST_PATH}?page_size={PAGE_SIZE}", set(), {}
    while url:
        if url in seen or len(seen) >= MAX_PAGES:
            raise HarvestError(url, "the pages never end (a `next` link leads back)")
        seen.add(url)
        page = _get_json(url)
        try:
            results = _field(page, "results", list)
            following = _field(page, "next", str, type(None))
            for number, item in enumerate(results):
                where = f"results[{number}]"
                key = _field(item, "key", str, where=where)
                summaries.setdefault(  # a case published while we page shifts the list: keep its first sighting
                    key,
                    {
                        "key": key,
                        "url": _field(item, "url", str, where=where),
                        "last_published_at": _timestamp(_field(item, "last_published_at", str, type(None), where=where), where),
                    },
                )
        except _SchemaMismatch as problem:
            raise HarvestError(url, f"not the cases API: {problem}") from None
        if following and not _same_hub(base_url, following):
            raise HarvestError(url, f"the next page {following} is on another host")
        url = following
    return list(summaries.values())


# From the peer's JSON to a validated row ------------------------------------------------------------------------------


def _import_record(detail: dict, *, key: str) -> dict:
    """The peer's case detail (cases/api.py CaseDetailOut) in the import format (cases/importing.py FIELDS)."""
    region = _field(detail, "region", dict, type(None))
    municipality = _field(detail, "municipality", dict, type(None))
    country = _field(detail, "country", str)
    budget = _field(detail, "budget", dict)
    procurement = _field(detail, "procurement", dict)
    contact = _field(detail, "contact", dict)
    if municipality is not None and region is None:  # a foreign city: its code is "<country>:<city>"
        city_code = _field(municipality, "code", str, where="municipality")
        city = city_code.partition(":")[2] or _field(municipality, "name", str, where="municipality")
        place = {"region": "", "municipality": city}
    else:
        place = {
            "region": _field(region, "code", str, where="region") if region else "",
            "municipality": _field(municipality, "code", str, where="municipality") if municipality else "",
        }
    text = {name: _field(detail, name, str) for name in ("title", "summary", "problem", "solution", "outcomes", "partners")}
    return {
        "key": key,
        **text,
        "lessons": _field(detail, "lessons", str, type(None)) or "",  # null: the peer keeps them for its members
        "language": _field(detail, "language", str),
        "visibility": _field(detail, "visibility", str),
        "lessons_visibility": _field(detail, "lessons_visibility", str),
        "country": country,
        **place,
        "sector": _field(_field(detail, "sector", dict), "slug", str, where="sector"),
        "stage": _field(_field(detail, "stage", dict), "slug", str, where="stage"),
        "technologies": [_field(t, "slug", str, where="technologies[]") for t in _field(detail, "technologies", list)],
        "tags": _field(detail, "tags", list),
        "start_year": _field(detail, "start_year"),
        "end_year": _field(detail, "end_year"),
        "budget_total": _field(budget, "total", where="budget"),
        "budget_national": _field(budget, "national", where="budget"),
        "budget_local": _field(budget, "local", where="budget"),
        "running_cost_yearly": _field(budget, "running_cost_yearly", where="budget"),
        "procurement_method": _field(procurement, "method", str, where="procurement"),
        "vendors": _field(procurement, "vendors", str, where="procurement"),
        "indicators": _field(detail, "indicators", list),
        "assets": _field(detail, "assets", list),
        "contact_name": _field(contact, "name", str, where="contact"),
        "contact_email": _field(contact, "email", str, where="contact"),
        "contact_phone": _field(contact, "phone", str, where="contact"),
    }


def _case_row(detail: dict, *, key: str, vocabulary: Vocabulary) -> CaseRow:
    """A row the import would write, or _Unusable naming every problem (unknown sector, stage, technology, place...)."""
    record = _import_record(detail, key=key)
    rows, errors = validate_records([record], vocabulary)
    if errors:
        raise _Unusable("; ".join(f"{error.field}: {error.message}" for error in errors))
    [row] = rows
    row.participating = _participating_places(_field(detail, "participating", list))
    procurement = detail["procurement"]
    for name in ("contract_start", "contract_end"):  # not in the import format, but part of the case
        value = _field(procurement, name, str, type(None), where="procurement")
        row.values[name] = parse_date(value) if value else None
        if value and row.values[name] is None:
            raise _Unusable(f"procurement.{name}: {value!r} is not a date")
    if findings := pii_findings_in({name: row.values.get(name) or "" for name in CASE_PII_FIELDS}):
        found = ", ".join(f"{f.type_label} {f.finding.masked} ({f.field})" for f in findings)
        raise _Unusable(f"personal data would be published: {found}")
    return row


def _participating_places(items: list) -> list[Place]:
    codes = [_field(item, "code", str, where="participating[]") for item in items]
    places = {place.code: place for place in Place.objects.filter(code__in=codes)}
    if unknown := [code for code in codes if code not in places or places[code].level == Place.Level.FOREIGN_CITY]:
        raise _Unusable(f"participating: {', '.join(unknown)} is not a Korean local government code this hub knows")
    return [places[code] for code in codes]


# Comparing and writing --------------------------------------------------------------------------------------------------


def _plain(value):
    return value.pk if isinstance(value, models.Model) else value


def _row_facts(row: CaseRow, origin_url: str) -> dict:
    lead_code = row.lead_place.code if row.lead_place else ":".join(row.foreign_city)
    return {
        **{name: _plain(value) for name, value in row.values.items()},
        "origin_url": origin_url,
        "lead_place": lead_code,
        "participating": sorted({p.code for p in row.participating} - {lead_code}),
        "technologies": sorted(t.pk for t in row.technologies),
        "tags": sorted(set(row.tags)),
        "indicators": [(i["label"], i["value"], i.get("unit", "")) for i in row.indicators],
        "assets": [(a["kind"], a["title"], a["url"]) for a in row.assets],
    }


def _case_facts(case: CaseStudyPage, names) -> dict:
    return {
        **{name: _plain(getattr(case, name)) for name in names},
        "origin_url": case.origin_url,
        "lead_place": case.lead_place.code,
        "participating": sorted(p.code for p in case.participating_places.all()),
        "technologies": sorted(t.pk for t in case.technologies.all()),
        "tags": sorted({t.name for t in case.tags.all()}),
        "indicators": [(i.label, i.value, i.unit) for i in case.indicators.all()],
        "assets": [(a.kind, a.title, a.url) for a in case.assets.all()],
    }


def _is_current(case: CaseStudyPage, row: CaseRow, origin_url: str) -> bool:
    return case.live and _case_facts(case.get_latest_revision_as_object(), row.values) == _row_facts(row, origin_url)


def _remote_case_write(*, row: CaseRow, existing: CaseStudyPage | None, provenance: dict, index: CaseIndexPage) -> None:
    """Create or update the remote case as a new published revision (as the import does), provenance included."""
    case = existing.get_latest_revision_as_object() if existing else CaseStudyPage(key=row.key)
    case_row_apply(row, case, extra=provenance)
    if existing is None:
        index.add_child(instance=case)
    case.full_clean()
    case.save_revision().publish()


def _error_text(error: Exception) -> str:
    if isinstance(error, ValidationError) and hasattr(error, "message_dict"):
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items())
    return str(error)


# The service ----------------------------------------------------------------------------------------------------------


def harvest_peer(*, base_url: str, since: datetime.datetime | None = None, dry_run: bool = False) -> HarvestReport:
    """Harvest every public case of the peer hub at `base_url` (only those last published at or after `since`).

    Raises HarvestError (PeerUnavailable when a retry may help) when the list cannot be read; a case that cannot be
    taken is reported in `skipped` with the reason, one whose detail cannot be fetched in `errors`, and the others
    go on. Each case is written in a transaction of its own.
    """
    base_url = hub_base_url_normalise(base_url)
    report = HarvestReport(base_url=base_url, dry_run=dry_run)
    summaries = peer_case_summaries(base_url)
    remote = {case.origin_key: case for case in CaseStudyPage.objects.filter(origin_hub=base_url)}
    vocabulary, index = Vocabulary(), CaseIndexPage.objects.get()
    for summary in summaries:
        if since and summary["last_published_at"] and summary["last_published_at"] < since:
            report.older.append(summary["key"])
            continue
        _harvest_case(summary, existing=remote.get(summary["key"]), report=report, vocabulary=vocabulary, index=index)
    if since is None:
        _withdraw_missing(remote, listed={s["key"] for s in summaries}, report=report)
    return report


def _harvest_case(summary: dict, *, existing: CaseStudyPage | None, report: HarvestReport, vocabulary, index) -> None:
    peer_key, base_url = summary["key"], report.base_url
    detail_url = f"{base_url}{LIST_PATH}{quote(peer_key, safe='')}/"
    key = existing.key if existing else remote_case_key(base_url, peer_key)
    try:
        row, origin_url = _peer_case(detail_url, peer_key=peer_key, key=key, vocabulary=vocabulary)
    except HarvestError as error:
        if error.status == 404:  # unpublished or made members-only since the list was read
            report.skipped.append((peer_key, f"{detail_url}: no longer shown by the peer"))
        else:
            report.errors.append(str(error))
        return
    except _Unusable as problem:
        report.skipped.append((peer_key, str(problem)))
        return
    if existing is None and CaseStudyPage.objects.filter(key=key).exists():
        report.skipped.append((peer_key, f"key: this hub already has another case with the key {key!r}"))
        return
    if existing is not None and _is_current(existing, row, origin_url):
        report.unchanged.append(peer_key)
        return
    if not report.dry_run:
        provenance = {"origin_hub": base_url, "origin_key": peer_key, "origin_url": origin_url, "harvested_at": timezone.now()}
        try:
            with transaction.atomic():
                _remote_case_write(row=row, existing=existing, provenance=provenance, index=index)
        except (ValidationError, DatabaseError) as error:  # e.g. a slug taken by a local page, a race on the key
            report.skipped.append((peer_key, _error_text(error)))
            return
    (report.updated if existing else report.created).append(peer_key)


def _peer_case(detail_url: str, *, peer_key: str, key: str, vocabulary: Vocabulary) -> tuple[CaseRow, str]:
    """The validated row and the peer's page URL of one case; HarvestError when its detail cannot be had."""
    detail = _get_json(detail_url)
    try:
        if _field(detail, "key", str) != peer_key:
            raise _SchemaMismatch(f"'key' is {detail['key']!r}, not the {peer_key!r} asked for")
        origin_url = _field(detail, "url", str)
        row = _case_row(detail, key=key, vocabulary=vocabulary)
    except _SchemaMismatch as problem:
        raise HarvestError(detail_url, f"not the cases API: {problem}") from None
    if not origin_url.startswith(("http://", "https://")) or len(origin_url) > MAX_URL:
        raise _Unusable(f"url: {origin_url!r} is not an http(s) address of at most {MAX_URL} characters")
    return row, origin_url


def _withdraw_missing(remote: dict[str, CaseStudyPage], *, listed: set[str], report: HarvestReport) -> None:
    """Unpublish remote cases the peer no longer shows anonymously: it withdrew them or keeps them for its members."""
    for peer_key, case in remote.items():
        if peer_key in listed or not case.live:
            continue
        if not report.dry_run:
            case.unpublish()
        report.withdrawn.append(peer_key)
