"""Weekly digests at scale (issue 4): time to compute every member's weekly matches on Elasticsearch, batched
(hub.matching.members_matches: one msearch per 200 members) against a naive baseline (one search per member per
criterion) in the same run, and how the batched time grows with the number of members; one JSON object.

    .venv/bin/python bench/digests.py [--members 20000] [--items 5000] [--background 5000] [--cases 300]
        [--naive-sample 1000] [--seed 3] [--elasticsearch URL] [--no-corpus-cache] [--json-only]

What it does, in one process (Django set up as bench/search.py does, on a throw-away SQLite database under
var/bench/run-<pid>/, migrated from the cached template; a fresh Elasticsearch index with a unique prefix):

1. Content: `--cases` real, live CaseStudyPages through the page tree (text from bench/search.py's corpus
   generator, lead places spread over the members' local governments, published before the week), the corpus's
   communities as real CommunityPages; then `--items` synthetic documents published in the week (cases, project
   logs, posts; some logs belong to the real cases, posts to the real communities, every item has places and an
   author among the members) and `--background` older ones. The synthetic text is bench/search.py's analysed
   corpus (cached under var/bench/), the real pages go through search.documents as the indexer builds them.
2. Members: `--members` approved members on real 시도/시군구 with 1-3 sectors, 1-4 technologies, 0-2 places and
   0-3 keywords/tags (Korean and English) of interest, some saved searches, follows (cases, communities, members)
   and community memberships, all by bulk_create.
3. Batched: `members_matches` over every member for the week (wall time, members/s, searches and msearch requests
   sent, term-vector requests, SQL queries, time per phase: profiles (SQL), request building, Elasticsearch,
   entry building), after a warm-up; the same at a quarter and half of the members for growth.
4. Naive: for `--naive-sample` members spread over the pk range, the same entries with one Elasticsearch search per
   member per criterion (the single-criterion query hub/matching would send, asked for every matching id and its
   score: a top-60 per criterion would miss documents that several criteria lift into the top 60), merged as
   Elasticsearch merges the criteria of one query (the scores add up), then one mget per member for the sources
   and hub.matching's own entry building. Extrapolated to every member; the entries are compared with the batched
   ones.

Everything it creates is removed at the end (database, index); the migrated template and the analysed corpus stay.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import hashlib
import importlib.util
import json
import math
import os
import platform
import random
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_BATCHED_SECONDS = 120.0
SYNTHETIC_OFFSET = 1_000_000  # synthetic case pks start here, past any real page pk
NAIVE_DEPTH = 10_000  # every match of one criterion (Elasticsearch's default max_result_window)
KST = datetime.timezone(datetime.timedelta(hours=9))
# The week: Monday 2026-06-29 07:00 to Monday 2026-07-06 07:00 (Asia/Seoul), just after the corpus's last date.
UNTIL = datetime.datetime(2026, 7, 6, 7, 0, tzinfo=KST)
SINCE = UNTIL - datetime.timedelta(days=7)
SHARE_SAVED_SEARCH = 0.15
SHARE_FOLLOW_CASE = 0.20
SHARE_FOLLOW_COMMUNITY = 0.30
SHARE_FOLLOW_MEMBER = 0.05
SHARE_MEMBERSHIP = 0.35
SHARE_OFFICIAL = 0.40
CURATORS = 20
SHARE_LOGS_OF_REAL_CASES = 0.4
COMMUNITY_VISIBILITY = {"care-tech": "members", "disaster-data": "community", "rpa-practitioners": "community"}


def _load_bench_search():
    """bench/search.py as a module (its name would shadow the `search` app): corpus, configuration, cleanup."""
    spec = importlib.util.spec_from_file_location("bench_search", ROOT / "bench" / "search.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_search"] = module
    spec.loader.exec_module(module)
    return module


bs = _load_bench_search()


# Content ---------------------------------------------------------------------------------------------------------


@dataclass
class RealCase:
    pk: int
    title: str
    url: str
    audience: str
    region: str
    municipality: str
    places: list[str]


@dataclass
class World:
    """What the benchmark made: places of members, real cases and communities, users by place."""

    places: dict[str, object]  # code -> Place
    member_places: list[str] = field(default_factory=list)  # place code of each member, in member order
    users_by_place: dict[str, list[int]] = field(default_factory=dict)
    user_ids: list[int] = field(default_factory=list)
    member_ids: list[int] = field(default_factory=list)
    cases: list[RealCase] = field(default_factory=list)
    communities: dict[str, tuple[int, str]] = field(default_factory=dict)  # slug -> (pk, audience of its posts)


def korean_places() -> dict[str, object]:
    from hub.models import Place

    return {place.code: place for place in Place.objects.korean().select_related("parent")}


def member_place_codes(places: dict[str, object], rng: random.Random) -> list[str]:
    """Where members work: nine in ten in a 시군구, the rest in a 시도 (weights vary, as activity does)."""
    municipalities = sorted(code for code, place in places.items() if place.level == place.Level.MUNICIPALITY)
    provinces = sorted(code for code, place in places.items() if place.level == place.Level.PROVINCE)
    return [code for code in municipalities for _ in range(rng.randint(1, 4))] + provinces * 3


def create_communities(world: World) -> None:
    from cases.models import Sector, Technology
    from communities.models import CommunityIndexPage, CommunityPage

    index = CommunityIndexPage.objects.get()
    for slug, title, sectors, technologies in bs.COMMUNITIES:
        visibility = COMMUNITY_VISIBILITY.get(slug, "public")
        community = CommunityPage(title=title, slug=slug, description=f"{title}: 사례와 질문을 나눕니다.", post_visibility=visibility)
        index.add_child(instance=community)
        community.sectors.set(Sector.objects.filter(slug__in=sectors))
        community.technologies.set(Technology.objects.filter(slug__in=technologies))
        community.save_revision().publish()
        audience = {"public": "public", "members": "members"}.get(visibility, f"community:{community.pk}")
        world.communities[slug] = (community.pk, audience)


def create_cases(world: World, vocabulary, count: int, seed: int, rng: random.Random) -> None:
    """Real cases through the page tree, published long before the week, led by the members' local governments."""
    from django.db import transaction
    from wagtail.models import Page

    from cases.models import CaseIndexPage, CaseStudyPage, Sector, Stage, Technology

    generator = bs.CorpusGenerator(vocabulary, seed + 101)
    sectors = {s.slug: s for s in Sector.objects.all()}
    stages = {s.slug: s for s in Stage.objects.all()}
    technologies = {t.slug: t for t in Technology.objects.all()}
    index = CaseIndexPage.objects.get()
    leads = sorted(set(world.member_places))
    made = []
    with transaction.atomic():
        while len(made) < count:
            document = generator._case()
            place = world.places[rng.choice(leads)]
            parts = document["body"].split("\n")
            case = CaseStudyPage(
                title=document["title"][:255],
                slug=f"bench-case-{len(made) + 1}",
                key=f"bench-case-{len(made) + 1}",
                language=document["language"],
                visibility=document["audience"],
                summary=document["summary"],
                problem=parts[0],
                solution=parts[1] if len(parts) > 1 else "",
                outcomes=parts[2] if len(parts) > 2 else "",
                lessons=document["lessons"] or (parts[3] if len(parts) > 3 else ""),
                lessons_visibility="members" if document["lessons"] else "public",
                lead_place=place,
                sector=sectors[document["sectors"][0]],
                stage=stages[document["stage"]],
                start_year=document["year"],
                partners=generator.rng.choice(bs.PARTNERS)[0],
            )
            index.add_child(instance=case)
            case.technologies.set([technologies[slug] for slug in document["technologies"]])
            if rng.random() < 0.1:
                case.participating_places.set([world.places[rng.choice(leads)]])
            case.save_revision().publish()
            made.append(case.pk)
    # Published before the week (a member's own projects are older than this week's news).
    for pk in made:
        published = SINCE - datetime.timedelta(days=rng.randint(20, 900), minutes=rng.randint(0, 1440))
        Page.objects.filter(pk=pk).update(first_published_at=published, last_published_at=published)
    for case in CaseStudyPage.objects.filter(pk__in=made).select_related("lead_place__parent").prefetch_related("participating_places"):
        lead = case.lead_place
        region = lead.parent.code if lead.parent_id else lead.code
        municipality = lead.code if lead.parent_id else ""
        places = list(dict.fromkeys([lead.code, *(p.code for p in case.participating_places.all())]))
        world.cases.append(
            RealCase(
                pk=case.pk,
                title=case.title,
                url=case.get_url(),
                audience=case.visibility,
                region=region,
                municipality=municipality,
                places=places,
            )
        )


# Members ---------------------------------------------------------------------------------------------------------


def create_members(world: World, count: int, rng: random.Random) -> dict:
    """`count` approved members (on `world.member_places`) with interests, saved searches, follows and memberships, in bulk."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from cases.models import Sector, Technology
    from communities.models import Membership
    from hub.models import Follow, Member, MemberInterests, SavedSearch
    from hub.models.members import CURATOR_GROUP, OFFICIAL_GROUP

    started = time.perf_counter()
    user_model = get_user_model()
    users = user_model.objects.bulk_create(
        [
            user_model(username=f"m{i}@bench.example", email=f"m{i}@bench.example", password="!bench", first_name=f"회원{i}")
            for i in range(count)
        ],
        batch_size=2_000,
    )
    world.user_ids = [user.pk for user in users]
    members = Member.objects.bulk_create(
        [
            Member(
                user_id=user.pk,
                place=world.places[code],
                organisation=rng.choice(("스마트도시과", "정보통신과", "기획예산과", "교통정책과", "환경정책과", "복지정책과")),
                job_title="주무관",
                is_approved=True,
            )
            for user, code in zip(users, world.member_places, strict=True)
        ],
        batch_size=2_000,
    )
    world.member_ids = [member.pk for member in members]
    for user_id, code in zip(world.user_ids, world.member_places, strict=True):
        world.users_by_place.setdefault(code, []).append(user_id)

    groups = {name: Group.objects.get(name=name).pk for name in (OFFICIAL_GROUP, CURATOR_GROUP)}
    curators = set(rng.sample(range(count), min(CURATORS, count // 50)))
    UserGroups = user_model.groups.through
    UserGroups.objects.bulk_create(
        [
            UserGroups(user_id=user_id, group_id=groups[CURATOR_GROUP if i in curators else OFFICIAL_GROUP])
            for i, user_id in enumerate(world.user_ids)
            if i in curators or rng.random() < SHARE_OFFICIAL
        ],
        batch_size=5_000,
    )

    sectors = list(Sector.objects.values_list("pk", "slug"))
    technologies = list(Technology.objects.values_list("pk", "slug"))
    interests = MemberInterests.objects.bulk_create(
        [
            MemberInterests(member_id=pk, tags=tags, keywords=keywords, digest_frequency="weekly")
            for pk, (tags, keywords) in zip(world.member_ids, (interest_texts(rng) for _ in range(count)), strict=True)
        ],
        batch_size=2_000,
    )
    through = {name: getattr(MemberInterests, name).through for name in ("sectors", "technologies", "places")}
    place_pks = [world.places[code].pk for code in sorted(world.places)]
    rows = {name: [] for name in through}
    for row in interests:
        for pk, _slug in rng.sample(sectors, rng.randint(1, 3)):
            rows["sectors"].append(through["sectors"](memberinterests_id=row.pk, sector_id=pk))
        for pk, _slug in rng.sample(technologies, rng.randint(1, 4)):
            rows["technologies"].append(through["technologies"](memberinterests_id=row.pk, technology_id=pk))
        for pk in rng.sample(place_pks, rng.choices((0, 1, 2), (45, 40, 15))[0]):
            rows["places"].append(through["places"](memberinterests_id=row.pk, place_id=pk))
    for name, objects in rows.items():
        through[name].objects.bulk_create(objects, batch_size=5_000)

    saved = []
    for pk in world.member_ids:
        if rng.random() < SHARE_SAVED_SEARCH:
            for query, filters in {saved_search(rng) for _ in range(rng.randint(1, 2))}:
                filters = dict(filters)
                state = hashlib.sha256(json.dumps([query, filters], ensure_ascii=False, sort_keys=True).encode()).hexdigest()
                saved.append(SavedSearch(member_id=pk, name=query or "필터 검색", query=query, filters=filters, state_key=state))
    SavedSearch.objects.bulk_create(saved, batch_size=2_000)

    follows = []
    case_pks = [case.pk for case in world.cases]
    community_pks = [pk for pk, _audience in world.communities.values()]
    for i, pk in enumerate(world.member_ids):
        if case_pks and rng.random() < SHARE_FOLLOW_CASE:
            follows += [Follow(member_id=pk, case_id=case) for case in rng.sample(case_pks, min(len(case_pks), rng.randint(1, 3)))]
        if rng.random() < SHARE_FOLLOW_COMMUNITY:
            follows += [Follow(member_id=pk, community_id=c) for c in rng.sample(community_pks, rng.randint(1, 2))]
        if count > 1 and rng.random() < SHARE_FOLLOW_MEMBER:
            other = world.member_ids[(i + rng.randint(1, count - 1)) % count]
            follows.append(Follow(member_id=pk, followed_member_id=other))
    Follow.objects.bulk_create(follows, batch_size=5_000)

    memberships = []
    for user_id in world.user_ids:
        if rng.random() < SHARE_MEMBERSHIP:
            memberships += [Membership(community_id=c, user_id=user_id) for c in rng.sample(community_pks, rng.randint(1, 2))]
    Membership.objects.bulk_create(memberships, batch_size=5_000)
    return {
        "members": count,
        "curators": len(curators),
        "saved_searches": len(saved),
        "follows": len(follows),
        "memberships": len(memberships),
        "interest_rows": {name: len(objects) for name, objects in rows.items()},
        "seconds": round(time.perf_counter() - started, 1),
    }


def interest_texts(rng: random.Random) -> tuple[list[str], list[str]]:
    """0-3 tags and keywords in all, Korean or English (a problem, device or system of some sector; a technology)."""
    total = rng.choices((0, 1, 2, 3), (35, 35, 20, 10))[0]
    texts = []
    for _ in range(total):
        words = bs.SECTORS[rng.choice(list(bs.SECTORS))]
        side = 1 if rng.random() < 0.2 else 0
        kind = rng.choice(("problems", "devices", "systems", "technology"))
        if kind == "technology":
            texts.append(rng.choice(bs.TECHNOLOGY_PHRASES[rng.choice(words.technologies)])[side])
        else:
            texts.append(rng.choice(getattr(words, kind))[side])
    texts = list(dict.fromkeys(texts))
    tags = [text for text in texts if rng.random() < 0.4]
    return tags, [text for text in texts if text not in tags]


def saved_search(rng: random.Random) -> tuple[str, tuple]:
    """A query as people type it (bench/search.py's kinds) with 0-2 of the search page's filters, or filters only."""
    vocabulary = _vocabulary()
    kind = rng.choice(("particles", "compound", "synonym", "english", "mixed", "place"))
    query = "" if rng.random() < 0.1 else bs._query_text(vocabulary, kind, rng)
    names = rng.sample(("region", "sector", "technology", "type"), rng.choices((0, 1, 2), (50, 35, 15))[0] or (0 if query else 1))
    filters = tuple(sorted((name, str(bs._filter_value(vocabulary, name, rng))) for name in names))
    return query, filters


_VOCABULARY = []


def _vocabulary():
    if not _VOCABULARY:
        _VOCABULARY.append(bs.Vocabulary.from_database())
    return _VOCABULARY[0]


# Index documents -------------------------------------------------------------------------------------------------


def to_utc(value: str) -> str:
    return datetime.datetime.fromisoformat(value).astimezone(datetime.UTC).isoformat()


def synthetic_documents(world: World, corpus: list[dict], items: int, rng: random.Random) -> list[dict]:
    """The corpus as the week's news (the last `items`) and older background, with ownership fields: places and an
    author among the members; posts in the real communities; some of the week's logs on the real cases."""
    window_seconds = int((UNTIL - SINCE).total_seconds())
    new_from = len(corpus) - items
    documents = []
    for i, source in enumerate(corpus):
        document = dict(source)
        document.setdefault("featured", [])
        document.setdefault("awards", [])
        document.setdefault("community_id", None)
        if document["type"] == "case":
            pk = int(document["id"].split(":")[1]) + SYNTHETIC_OFFSET
            document.update(id=f"case:{pk}", key=f"{document['key']}-s", url=f"/cases/{document['key']}-s/", case_id=pk)
        elif document["type"] == "log" and document.get("case_id"):
            document["case_id"] += SYNTHETIC_OFFSET
        is_new = i >= new_from
        if is_new:
            moment = SINCE + datetime.timedelta(seconds=rng.randrange(window_seconds))
            document["published_at"] = moment.astimezone(datetime.UTC).isoformat()
        else:
            document["published_at"] = to_utc(document["published_at"])
        if document["type"] == "log" and is_new and world.cases and rng.random() < SHARE_LOGS_OF_REAL_CASES:
            case = rng.choice(world.cases)
            pk = int(document["id"].split(":")[1])
            document.update(
                case_id=case.pk,
                summary=case.title,
                url=f"{case.url}#log-{pk}",
                audience=case.audience,
                region=case.region,
                municipality=case.municipality,
            )
            document["places"] = list(case.places)
            owner = case.places[0]
        elif document["type"] == "post":
            slug = document["url"].split("/")[2]
            community_pk, audience = world.communities[slug]
            document["community_id"] = community_pk
            if audience != "public":
                document["audience"] = audience
            owner = rng.choice(world.member_places)
            place = world.places[owner]
            document["region"] = place.parent.code if place.parent_id else place.code
            document["municipality"] = place.code if place.parent_id else ""
            document["places"] = [owner]
        else:
            owner = document["municipality"] or document["region"]
            document["places"] = [owner] if owner else []
        authors = world.users_by_place.get(owner) or world.user_ids
        document["authors"] = [str(rng.choice(authors))]
        documents.append(document)
    return documents


def real_documents() -> list[dict]:
    """The real cases and communities as the indexer builds them (search.documents), analysed on every core."""
    from search.documents import documents_for, searchable_pks, with_terms_batch

    built = []
    for type_ in ("case", "community"):
        built += list(documents_for(type_, list(searchable_pks(type_))).values())
    return with_terms_batch(built, previous={})


def index_documents(documents: list[dict]) -> dict:
    from search.backends import get_backend

    started = time.perf_counter()
    count = get_backend().rebuild((document, 1) for document in documents)
    return {"documents": count, "seconds": round(time.perf_counter() - started, 1)}


def index_figures(documents: list[dict]) -> dict:
    since, until = SINCE.astimezone(datetime.UTC), UNTIL.astimezone(datetime.UTC)
    in_window = [d for d in documents if d["published_at"] and since <= datetime.datetime.fromisoformat(d["published_at"]) < until]
    return {
        "documents": len(documents),
        "by_type": dict(collections.Counter(d["type"] for d in documents)),
        "in_window": len(in_window),
        "in_window_by_type": dict(collections.Counter(d["type"] for d in in_window)),
        "in_window_by_audience": dict(collections.Counter(d["audience"].split(":")[0] for d in in_window)),
        "in_window_logs_of_followable_cases": sum(1 for d in in_window if d["type"] == "log" and d["case_id"] < SYNTHETIC_OFFSET),
    }


# Measuring -------------------------------------------------------------------------------------------------------


class Phases:
    """Exclusive wall time per phase of nested, wrapped calls, and counters (searches, requests, SQL queries).

    Each thread has its own stack: the backend calls run in search.service.match_batches's helper thread, beside
    the main thread's phases, so their time overlaps the others' (`background` names the phases seen there)."""

    def __init__(self) -> None:
        self.seconds: collections.Counter[str] = collections.Counter()
        self.counts: collections.Counter[str] = collections.Counter()
        self.background: set[str] = set()
        self._local = threading.local()  # .stack: [started, time spent in children] per open call
        self._lock = threading.Lock()
        self.kinds: dict[str, list[float]] = collections.defaultdict(list)  # naive: ms per search, by criterion kind

    def wrap(self, function: Callable, phase: str, count: Callable[..., dict] | None = None) -> Callable:
        def timed(*args, **kwargs):
            stack = self._local.__dict__.setdefault("stack", [])
            stack.append([time.perf_counter(), 0.0])
            try:
                return function(*args, **kwargs)
            finally:
                started, children = stack.pop()
                elapsed = time.perf_counter() - started
                if stack:
                    stack[-1][1] += elapsed
                with self._lock:
                    self.seconds[phase] += elapsed - children
                    if threading.current_thread() is not threading.main_thread():
                        self.background.add(phase)
                    if count is not None:
                        self.counts.update(count(*args, **kwargs))

        timed.__wrapped__ = function
        return timed

    def sql(self, execute, sql, params, many, context):
        self.counts["sql_queries"] += 1
        return execute(sql, params, many, context)

    def reset(self) -> None:
        self.seconds.clear()
        self.counts.clear()
        self.kinds.clear()
        self.background.clear()

    def report(self, wall: float) -> dict:
        phases = {
            name: round(self.seconds.get(name, 0.0), 2) for name in ("profiles_sql", "request_building", "elasticsearch", "entry_building")
        }
        # The main thread's time in no phase: mostly waiting for a backend answer that is not there yet.
        in_main = sum(seconds for name, seconds in self.seconds.items() if name not in self.background)
        phases["other"] = round(max(0.0, wall - in_main), 2)
        report = {"phases_seconds": phases, "counts": dict(sorted(self.counts.items()))}
        if self.background:
            report["phases_beside_the_main_thread"] = sorted(self.background)
        return report


def instrument(phases: Phases, backend) -> None:
    """Time the steps of hub.matching.members_matches and search.service.match where they call each other."""
    from hub import matching
    from search import service
    from search.backends.elasticsearch import MGET_CHUNK, MSEARCH_CHUNK

    def msearch_count(queries):
        return {"searches": len(queries), "msearch_requests": math.ceil(len(queries) / MSEARCH_CHUNK), "backend_match_calls": 1}

    def mget_count(doc_ids):
        return {"sources_read": len(doc_ids), "mget_requests": math.ceil(len(doc_ids) / MGET_CHUNK)}

    matching._with_profiles = phases.wrap(matching._with_profiles, "profiles_sql")
    matching.member_audiences = phases.wrap(matching.member_audiences, "profiles_sql")
    matching._own_cases = phases.wrap(matching._own_cases, "profiles_sql")
    matching._reader = phases.wrap(matching._reader, "request_building")
    matching._request = phases.wrap(matching._request, "request_building")
    service._match_query = phases.wrap(service._match_query, "request_building")
    service._batch_matches = phases.wrap(service._batch_matches, "entry_building")  # waiting for the answers: "other"
    matching._entries = phases.wrap(matching._entries, "entry_building")
    backend.match = phases.wrap(backend.match, "elasticsearch", msearch_count)
    backend.match_sources = phases.wrap(backend.match_sources, "elasticsearch", mget_count)
    backend.distinctive_terms = phases.wrap(backend.distinctive_terms, "elasticsearch", lambda *a, **k: {"termvectors_requests": 1})


def measure_batched(members: list, phases: Phases, limit: int) -> tuple[dict, dict[int, list]]:
    from django.db import connection

    from hub.matching import members_matches

    phases.reset()
    with connection.execute_wrapper(phases.sql):
        load = os.getloadavg()[0]
        started, cpu = time.perf_counter(), time.process_time()
        entries = members_matches(members, since=SINCE, until=UNTIL, limit=limit)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    figures = {
        "members": len(members),
        "seconds": round(wall, 2),
        "process_cpu_seconds": round(cpu, 2),
        "members_per_s": round(len(members) / wall, 1),
        "load_average_1min_before": round(load, 2),
        "load_average_1min_after": round(os.getloadavg()[0], 2),
        **phases.report(wall),
    }
    return figures, entries


def naive_members_matches(members: list, backend, phases: Phases, limit: int) -> dict[int, list]:
    """The same entries as members_matches, with one Elasticsearch search per member per criterion."""
    from hub import matching

    entries: dict[int, list] = {}
    for start in range(0, len(members), matching.BATCH_SIZE):
        readers = [matching._reader(member) for member in matching._with_profiles(members[start : start + matching.BATCH_SIZE])]
        readers = [reader for reader in readers if reader is not None]
        audiences = matching.member_audiences([reader.member.user for reader in readers])
        for reader in readers:
            request = matching._request(reader, audiences[reader.member.user_id], SINCE, UNTIL, frozenset(), limit)
            matches = phases.wrap(naive_match, "entry_building")(request, backend, phases)
            entries[reader.member.pk] = matching._entries(reader, matches, limit)
    return entries


def naive_match(request, backend, phases: Phases) -> list:
    """search.service.match for one request, one criterion at a time: each criterion's query as the batched one
    holds it, every matching id with its score; a document's score is the sum over the criteria it meets (as in
    the one bool query), ties by newest, then id (the batched sort); then the sources of the best `size`."""
    from search import service
    from search.backends.base import MATCH_SOURCE_EXCLUDES
    from search.backends.elasticsearch import _match_body

    scores: dict[str, float] = collections.defaultdict(float)
    met: dict[str, list[str]] = collections.defaultdict(list)
    published: dict[str, float] = {}
    search = phases.wrap(backend._call, "elasticsearch", lambda *a, **k: {"naive_searches": 1})
    for criterion in request.criteria:
        query = service._match_query(replace(request, criteria=(criterion,)), backend, {})
        if query is None:
            continue
        body = {**_match_body(replace(query, size=NAIVE_DEPTH)), "_source": ["id", "published_at"]}
        started = time.perf_counter()
        response = search(backend.client.search, index=backend.alias, **body)
        phases.kinds[criterion.name.split(":")[0]].append((time.perf_counter() - started) * 1000)
        hits = response["hits"]["hits"]
        if len(hits) >= NAIVE_DEPTH:
            phases.counts["naive_truncated_criteria"] += 1
        for hit in hits:
            doc_id = hit["_id"]
            scores[doc_id] += hit["_score"] or 0.0
            met[doc_id].append(criterion.name)
            moment = hit["_source"].get("published_at")
            published[doc_id] = datetime.datetime.fromisoformat(moment).timestamp() if moment else float("-inf")
    ranked = sorted(scores, key=lambda doc_id: (-scores[doc_id], -published[doc_id], doc_id))
    best = [doc_id for doc_id in ranked if doc_id not in request.exclude_documents][: request.size]
    if not best:
        return []
    fetch = phases.wrap(backend._call, "elasticsearch", lambda *a, **k: {"naive_mget_requests": 1})
    answer = fetch(backend.client.mget, index=backend.alias, ids=best, source_excludes=list(MATCH_SOURCE_EXCLUDES))
    sources = {doc["_id"]: doc["_source"] for doc in answer["docs"] if doc.get("found")}
    return [
        service.Match(hit=service._hit(sources[doc_id], scores[doc_id], ()), criteria=tuple(met[doc_id]))
        for doc_id in best
        if doc_id in sources
    ]


def measure_naive(members: list, backend, phases: Phases, limit: int, total_members: int) -> tuple[dict, dict[int, list]]:
    from django.db import connection

    phases.reset()
    with connection.execute_wrapper(phases.sql):
        load = os.getloadavg()[0]
        started, cpu = time.perf_counter(), time.process_time()
        entries = naive_members_matches(members, backend, phases, limit)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    figures = {
        "method": "one search per member per criterion (every matching id and score), merged by summed score, one mget per member",
        "naive_measured_members": len(members),
        "measured_seconds": round(wall, 2),
        "process_cpu_seconds": round(cpu, 2),
        "members_per_s": round(len(members) / wall, 1),
        "naive_extrapolated_members": total_members,
        "naive_extrapolated_seconds": round(wall * total_members / max(1, len(members)), 1),
        "load_average_1min_before": round(load, 2),
        "load_average_1min_after": round(os.getloadavg()[0], 2),
        **phases.report(wall),
        # What one criterion of each kind costs Elasticsearch and the round trip (ids and scores only).
        "search_ms_by_criterion_kind": {
            kind: {"searches": len(times), "mean_ms": round(sum(times) / len(times), 2), "total_s": round(sum(times) / 1000, 1)}
            for kind, times in sorted(phases.kinds.items(), key=lambda item: -sum(item[1]))
        },
    }
    return figures, entries


def entry_signature(entry) -> tuple:
    return (entry.key, entry.type, entry.count, frozenset((reason.code, reason.value) for reason in entry.reasons))


def compare(batched: dict[int, list], naive: dict[int, list]) -> dict:
    """Whether both give every sampled member the same entries in the same order (scores within rounding)."""
    identical, different, examples = 0, 0, []
    for pk, entries in naive.items():
        theirs = batched.get(pk, [])
        same = [entry_signature(e) for e in entries] == [entry_signature(e) for e in theirs] and all(
            abs(a.score - b.score) <= 1e-3 * max(1.0, abs(b.score)) for a, b in zip(entries, theirs, strict=True)
        )
        if same:
            identical += 1
            continue
        different += 1
        if len(examples) < 3:
            examples.append(
                {
                    "member": pk,
                    "batched": [(e.key, round(e.score, 4)) for e in theirs[:8]],
                    "naive": [(e.key, round(e.score, 4)) for e in entries[:8]],
                }
            )
    return {"members_compared": len(naive), "identical": identical, "different": different, "examples": examples}


def entries_figures(entries: dict[int, list]) -> dict:
    counts = [len(found) for found in entries.values()]
    reasons = collections.Counter(reason.code for found in entries.values() for entry in found for reason in entry.reasons)
    types = collections.Counter(entry.type for found in entries.values() for entry in found)
    return {
        "members": len(counts),
        "members_with_entries": sum(1 for c in counts if c),
        "mean_entries": round(sum(counts) / max(1, len(counts)), 2),
        "entries_by_type": dict(types.most_common()),
        "reasons_by_code": dict(reasons.most_common()),
    }


def criteria_figures(members: list) -> dict:
    """How many criteria the members' requests hold, by kind (what the naive baseline sends one search for)."""
    from hub import matching

    by_code: collections.Counter[str] = collections.Counter()
    total = 0
    for start in range(0, len(members), matching.BATCH_SIZE):
        for member in matching._with_profiles(members[start : start + matching.BATCH_SIZE]):
            reader = matching._reader(member)
            if reader is None:
                continue
            total += len(reader.criteria)
            by_code.update(criterion.name.split(":")[0] for criterion in reader.criteria)
    return {"total": total, "per_member": round(total / max(1, len(members)), 2), "by_kind": dict(by_code.most_common())}


# Main ------------------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20_000, help="approved members whose weekly digests are computed")
    parser.add_argument("--items", type=int, default=5_000, help="documents published in the week")
    parser.add_argument("--background", type=int, default=None, help="older documents (default: as many as --items)")
    parser.add_argument("--cases", type=int, default=300, help="real, live case pages (the members' own projects)")
    parser.add_argument("--naive-sample", type=int, default=1_000, help="members the naive baseline is measured on")
    parser.add_argument("--limit", type=int, default=20, help="entries per digest")
    parser.add_argument("--seed", type=int, default=3, help="seed of the corpus (bench/search.py's) and of the members")
    parser.add_argument("--elasticsearch", default="", help="node URL (default: TEST_ELASTICSEARCH_URL, then ELASTICSEARCH_URL)")
    parser.add_argument("--no-corpus-cache", action="store_true", help="neither read nor write the analysed corpus in var/bench/")
    parser.add_argument("--json-only", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)
    if args.background is None:
        args.background = args.items
    for name in ("members", "items", "cases", "naive_sample", "limit"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be 1 or more")
    if args.background < 0:
        parser.error("--background must be 0 or more")
    args.naive_sample = min(args.naive_sample, args.members)
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    started = time.perf_counter()

    def log(message: str) -> None:
        if not args.json_only:
            print(f"[{time.perf_counter() - started:7.1f} s] {message}", file=sys.stderr, flush=True)

    url = bs.elasticsearch_url_from(args)
    prefix = f"bench-digests-{uuid.uuid4().hex[:10]}"
    run_dir = bs.BENCH_DIR / f"run-{os.getpid()}"
    run_dir.mkdir(parents=True, exist_ok=True)
    bs.configure(run_dir, prefix, url)
    # Stopped (SIGTERM), the run still drops its index and database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        figures = run(args, url, prefix, log)
    finally:
        bs.cleanup(run_dir, prefix, url)
    figures["total_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    return figures


def run(args: argparse.Namespace, url: str, prefix: str, log: Callable[[str], None]) -> dict:
    figures, members, backend = setup(args, url, prefix, log)
    measure(figures, members, backend, args, log)
    figures["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    return figures


def setup(args: argparse.Namespace, url: str, prefix: str, log: Callable[[str], None]) -> tuple[dict, list, object]:
    """The database, the members and the index; the figures so far, every member (pk order) and the backend."""
    import django
    import wagtail

    figures: dict = {
        "machine": {
            "cpu_count": os.cpu_count(),
            "load_average_start": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
            "django": django.__version__,
            "wagtail": wagtail.__version__,
            "elasticsearch": bs.elasticsearch_check(url),
        },
        "parameters": {
            "members": args.members,
            "items": args.items,
            "background": args.background,
            "cases": args.cases,
            "naive_sample": args.naive_sample,
            "limit": args.limit,
            "seed": args.seed,
            "window": {"since": SINCE.isoformat(), "until": UNTIL.isoformat()},
            "index_prefix": prefix,
        },
        "setup": {"database": bs.database_migrate(log)},
    }
    from hub.services import site_structure_ensure

    site_structure_ensure()
    bs.use_backend("elasticsearch")
    rng = random.Random(args.seed)
    vocabulary = _vocabulary()
    world = World(places=korean_places())

    started = time.perf_counter()
    pool = member_place_codes(world.places, rng)
    world.member_places = [rng.choice(pool) for _ in range(args.members)]
    create_communities(world)
    create_cases(world, vocabulary, args.cases, args.seed, rng)
    figures["setup"]["pages_seconds"] = round(time.perf_counter() - started, 1)
    log(f"pages: {len(world.cases)} cases, {len(world.communities)} communities in {figures['setup']['pages_seconds']} s")
    figures["setup"]["members"] = create_members(world, args.members, rng)
    log(f"members: {figures['setup']['members']}")

    corpus, figures["setup"]["corpus"] = bs.analysed_corpus(
        vocabulary, args.items + args.background, args.seed, workers=os.cpu_count() or 1, use_cache=not args.no_corpus_cache, log=log
    )
    started = time.perf_counter()
    documents = synthetic_documents(world, corpus, args.items, rng) + real_documents()
    figures["setup"]["real_documents_seconds"] = round(time.perf_counter() - started, 1)
    figures["setup"]["index"] = index_documents(documents)
    figures["index"] = index_figures(documents)
    log(f"index: {figures['index']}")
    del corpus, documents

    from hub.models import Member
    from search.backends import get_backend

    backend = get_backend()
    figures["index"]["elasticsearch_count"] = backend.client.count(index=backend.alias)["count"]
    members = list(Member.objects.select_related("user").order_by("pk"))
    figures["criteria"] = criteria_figures(members)
    log(f"criteria: {figures['criteria']}")
    return figures, members, backend


def measure(figures: dict, members: list, backend, args: argparse.Namespace, log: Callable[[str], None]) -> None:
    """Batched at every size, then naive on the sample, into `figures`."""
    phases = Phases()
    instrument(phases, backend)
    warmup, _ = measure_batched(members[-min(200, len(members)) :], phases, args.limit)
    figures["warmup"] = {"members": warmup["members"], "seconds": warmup["seconds"]}
    log(f"warm-up: {figures['warmup']}")
    batched, batched_entries = measure_batched(members, phases, args.limit)
    batched["entries"] = entries_figures(batched_entries)
    figures["batched"] = batched
    log(f"batched: {json.dumps(batched, ensure_ascii=False)}")

    growth = []
    for size in sorted({max(1, len(members) // 4), max(1, len(members) // 2)} - {len(members)}):
        run_figures, _ = measure_batched(members[:size], phases, args.limit)
        growth.append({key: run_figures[key] for key in ("members", "seconds", "members_per_s", "phases_seconds")})
        log(f"growth: {growth[-1]}")
    growth.append({key: batched[key] for key in ("members", "seconds", "members_per_s", "phases_seconds")})
    smallest = growth[0]
    for step in growth:
        step["seconds_per_1000_members"] = round(step["seconds"] * 1000 / step["members"], 2)
        step["time_ratio_to_smallest"] = round(step["seconds"] / smallest["seconds"], 2)
        step["members_ratio_to_smallest"] = round(step["members"] / smallest["members"], 2)
    figures["growth"] = growth

    step = max(1, len(members) // args.naive_sample)
    sample = members[::step][: args.naive_sample]
    batched_sample, _ = measure_batched(sample, phases, args.limit)
    naive, naive_entries = measure_naive(sample, backend, phases, args.limit, len(members))
    naive["batched_same_members_seconds"] = batched_sample["seconds"]
    naive["same_members_ratio"] = round(naive["measured_seconds"] / batched_sample["seconds"], 1)
    figures["naive"] = naive
    log(f"naive: {json.dumps(naive, ensure_ascii=False)}")
    figures["agreement"] = compare(batched_entries, naive_entries)
    figures["ratio_naive_over_batched"] = round(naive["naive_extrapolated_seconds"] / batched["seconds"], 1)
    figures["targets"] = {
        "batched_seconds": {
            "value": batched["seconds"],
            "target": f"<= {TARGET_BATCHED_SECONDS:.0f} at {args.members:,} members, {args.items:,} items",
            "met": batched["seconds"] <= TARGET_BATCHED_SECONDS,
        }
    }


if __name__ == "__main__":
    main()
