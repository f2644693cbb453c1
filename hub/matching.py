"""Peer matching: what, among items new or updated in a time window, a member would want to hear about, and why.

Digests (hub/digests.py) and in-app notifications (hub/notifications.py) both read `member_matches` /
`members_matches`; neither queries the index itself. Matching goes through the search service (search/service.py
`match`), so it works the same on both backends and a member only ever gets what they may open.

Reasons an item is chosen (an item that has several appears once, with all of them):
- interests: a sector, technology, tag, place of interest or free keyword of the member;
- saved searches: the exact query and filters the member subscribed to;
- similar projects: it resembles a case of the member's own local government (theirs or a colleague's);
- follows: a new log entry on a followed case, a new post in a followed community, something by a followed member.
Peer reasons (interests, saved searches, similar) leave out items of the member's own local government; follows do
not. The member's own items and drafts never appear. Posts matched because their community is followed are grouped
into one entry per community with a count.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _

from hub import permissions
from hub.models import Follow
from search.service import Match, MatchCriterion, MatchRequest, MatchRun, match_batches, member_audiences

# Saved searches keep the search page's parameters; these select documents (sort and the curation flags do not
# say what is new to a member).
SAVED_SEARCH_FILTERS = ("region", "municipality", "sector", "technology", "stage", "type", "year", "lang")


@dataclass(frozen=True)
class Reason:
    """Why an entry was chosen. `code` is one of REASON_CODES; `value` the slug, code, text or id it matched;
    `label` what a person reads for that value (a technology's name, a case's title)."""

    code: str
    value: str
    label: str

    @property
    def text(self) -> str:
        """The sentence shown to the member, in the active language ("관심 기술 IoT와 일치")."""
        return reason_text(self)

    def as_dict(self) -> dict:
        return {"code": self.code, "value": self.value, "label": self.label, "text": self.text}


REASON_CODES = (
    "sector",
    "technology",
    "tag",
    "place",
    "keyword",
    "saved_search",
    "similar",
    "follow_case",
    "follow_community",
    "follow_member",
)


def reason_text(reason: Reason) -> str:
    # The particle after the label (와/과) depends on how it ends: one message for each, both translated alike.
    after_vowel = ends_in_vowel(reason.label)
    texts = {
        "sector": _("관심 분야 %(label)s와 일치") if after_vowel else _("관심 분야 %(label)s과 일치"),
        "technology": _("관심 기술 %(label)s와 일치") if after_vowel else _("관심 기술 %(label)s과 일치"),
        "tag": _("관심 태그 %(label)s와 일치") if after_vowel else _("관심 태그 %(label)s과 일치"),
        "keyword": _("키워드 ‘%(label)s’와 일치") if after_vowel else _("키워드 ‘%(label)s’과 일치"),
        "place": _("관심 지역 %(label)s의 소식"),
        "saved_search": _("구독한 검색 ‘%(label)s’의 새 결과"),
        "similar": _("귀하의 %(label)s 사업과 유사"),
        "follow_case": _("팔로우한 사례 %(label)s의 새 소식"),
        "follow_community": _("팔로우한 커뮤니티 %(label)s의 새 글"),
        "follow_member": _("팔로우한 회원 %(label)s의 새 글"),
    }
    return texts[reason.code] % {"label": reason.label}


# Reasons stored with a digest item or a notification name vocabulary values whose label has a language of its own.
RELABELLED = {"sector": ("sector",), "technology": ("technology",), "place": ("municipality", "region")}


def stored_reason_text(stored: dict) -> str:
    """A reason stored as `Reason.as_dict()`, as a sentence in the active language (sector, technology and place
    names looked up again by value); a reason this version does not know keeps the sentence it was stored with."""
    from search.labels import label_for

    if not isinstance(stored, dict):
        return ""
    code, value, label = str(stored.get("code", "")), str(stored.get("value", "")), str(stored.get("label", ""))
    if code not in REASON_CODES:
        return str(stored.get("text") or label)
    for facet in RELABELLED.get(code, ()):
        if (named := label_for(facet, value)) != value:
            label = named
            break
    return reason_text(Reason(code=code, value=value, label=label))


def place_label(*, region: str, municipality: str) -> str:
    """What people read for an entry's place: the 시군구 (or foreign city) when there is one, else the 시도."""
    from search.labels import label_for

    if municipality:
        return label_for("municipality", municipality)
    return label_for("region", region) if region else ""


# Latin letters read with a final consonant (엘, 엠, 엔, 알) and digits likewise (일, 삼, 육, 칠, 팔, 십 → 0 영).
_CONSONANT_LETTERS = frozenset("lmnr")
_CONSONANT_DIGITS = frozenset("0136780")


def ends_in_vowel(word: str) -> bool:
    """Whether a Korean reader ends `word` on a vowel: 분야 → True, 환경 → False, IoT (티) → True, GIS (에스) → True."""
    letters = [ch for ch in word if ch.isalnum()]
    if not letters:
        return True
    last = letters[-1]
    if "\uac00" <= last <= "\ud7a3":
        return (ord(last) - 0xAC00) % 28 == 0
    if last.isdigit():
        return last not in _CONSONANT_DIGITS
    return last.lower() not in _CONSONANT_LETTERS


@dataclass
class MatchEntry:
    """One entry of a digest or a notification list: a document, or a group of posts in one followed community.

    `key` is the document id ("case:12") or, for a group, "community_activity:<pk>" (not the community page's own
    id "community:<pk>": the page changing and new posts in it are different news); `document_ids` every document it stands
    for (what a digest records as sent). `type` is the document type, or "community_activity" for a group."""

    key: str
    type: str
    title: str
    url: str  # path on the hub ("/cases/..."); prefix HUB_BASE_URL for e-mail
    region: str  # 시도 code or ""
    municipality: str  # 시군구 or foreign city code, or ""
    summary: str  # plain text, short
    published_at: datetime.datetime | None
    score: float
    reasons: list[Reason] = field(default_factory=list)
    count: int = 1
    document_ids: tuple[str, ...] = ()

    @property
    def place_label(self) -> str:
        return place_label(region=self.region, municipality=self.municipality)


def member_matches(
    member,
    *,
    since: datetime.datetime,
    until: datetime.datetime,
    exclude_documents: frozenset[str] | set[str] = frozenset(),
    limit: int = 20,
) -> list[MatchEntry]:
    """The member's entries among documents published or updated in [since, until), best first, at most `limit`.

    `exclude_documents` are document ids never to return (those a digest already sent). Raises
    search.service.SearchUnavailable when the backend cannot answer."""
    return members_matches([member], since=since, until=until, exclude_documents={member.pk: exclude_documents}, limit=limit)[member.pk]


def members_matches(
    members,
    *,
    since: datetime.datetime,
    until: datetime.datetime,
    exclude_documents: dict[int, frozenset[str] | set[str]] | None = None,
    limit: int = 20,
) -> dict[int, list[MatchEntry]]:
    """`member_matches` for many members in batched backend queries (Elasticsearch msearch); keyed by member pk."""
    members = list(members)
    exclude_documents = exclude_documents or {}
    batches = (MatchBatch(members[start : start + BATCH_SIZE], exclude_documents) for start in range(0, len(members), BATCH_SIZE))
    entries: dict[int, list[MatchEntry]] = {}
    for _batch, batch_entries in members_matches_batches(batches, since=since, until=until, limit=limit):
        entries.update(batch_entries)
    return entries


@dataclass(frozen=True)
class MatchBatch:
    """Members matched together (BATCH_SIZE at most is best), and per member pk the document ids never to return."""

    members: list
    exclude_documents: dict[int, frozenset[str] | set[str]] = field(default_factory=dict)
    context: object = None  # whatever the caller wants back with the batch's entries


def members_matches_batches(
    batches: Iterable[MatchBatch], *, since: datetime.datetime, until: datetime.datetime, limit: int = 20
) -> Iterator[tuple[MatchBatch, dict[int, list[MatchEntry]]]]:
    """`members_matches` batch by batch, in order: each batch with its entries by member pk (every member of the
    batch has a list). While the caller handles one batch, the next one's queries are with the backend
    (search.service.match_batches), so a digest run's database work and the index's answers overlap; `batches` is
    read one batch ahead, in the caller's thread. The batches share what each run reads once: each local
    government's cases, each compared case's distinctive terms, each listed document."""
    own_cases: dict[int, list[tuple[int, str]]] = {}

    def requests() -> Iterator[tuple[tuple[MatchBatch, list[_Reader]], list[MatchRequest]]]:
        for batch in batches:
            readers = [_reader(member, own_cases) for member in _with_profiles(batch.members)]
            readers = [reader for reader in readers if reader is not None]
            audiences = member_audiences([reader.member.user for reader in readers])
            excluded = batch.exclude_documents
            batch_requests = [
                _request(reader, audiences[reader.member.user_id], since, until, excluded.get(reader.member.pk, frozenset()), limit)
                for reader in readers
            ]
            yield (batch, readers), batch_requests

    for (batch, readers), matches in match_batches(requests(), run=MatchRun()):
        entries: dict[int, list[MatchEntry]] = {member.pk: [] for member in batch.members}
        for reader, found in zip(readers, matches, strict=True):
            entries[reader.member.pk] = _entries(reader, found, limit)
        yield batch, entries


# How much each reason counts when entries are ranked (a text reason is also scaled by how well the text matches).
WEIGHTS = {
    "follow_case": 4.0,
    "follow_community": 4.0,
    "follow_member": 3.0,
    "saved_search": 3.0,
    "similar": 3.0,
    "keyword": 2.0,
    "technology": 2.0,
    "sector": 1.5,
    "tag": 1.5,
    "place": 1.0,
}
BATCH_SIZE = 200
OWN_CASES_COMPARED = 5  # the most recently published cases of the member's local government
GROUP_TYPE = "community_activity"
GROUP_HEADROOM = 10
SUMMARY_CHARS = 200


@dataclass
class _Reader:
    """One member as matching sees them: the criteria to ask for, and how to name each one's reason."""

    member: object
    criteria: list[MatchCriterion]
    reasons: dict[str, Reason]  # criterion name → reason (follow criteria: resolved per document, see _follow_reason)
    followed_cases: dict[int, str]  # pk → title
    followed_communities: dict[int, tuple[str, str]]  # pk → (title, url)
    followed_members: dict[str, str]  # user pk → display name


def _with_profiles(members: list) -> list:
    """The members again, with everything matching reads loaded in a fixed number of queries."""
    from hub.models import Member

    return list(
        Member.objects.filter(pk__in=[member.pk for member in members])
        .select_related("user", "place__parent", "interests")
        .prefetch_related(
            "interests__sectors",
            "interests__technologies",
            "interests__places",
            "saved_searches",
            Prefetch("follows", queryset=Follow.objects.select_related("case", "community", "followed_member__user")),
        )
        .order_by("pk")
    )


def _reader(member, own_cases: dict[int, list[tuple[int, str]]] | None = None) -> _Reader | None:
    """`own_cases`: `_own_cases` by place pk, filled as places come up (members of one place share them)."""
    if not (member.is_approved and member.user.is_active):
        return None
    reader = _Reader(member=member, criteria=[], reasons={}, followed_cases={}, followed_communities={}, followed_members={})
    interests = getattr(member, "interests", None)
    if interests is not None:
        for sector in interests.sectors.all():
            _add(reader, "sector", sector.slug, sector.name, filters={"sector": (sector.slug,)})
        for technology in interests.technologies.all():
            _add(reader, "technology", technology.slug, technology.name, filters={"technology": (technology.slug,)})
        for place in interests.places.all():
            field_name = "region" if place.level == place.Level.PROVINCE else "municipality"
            _add(reader, "place", place.code, place.name, filters={field_name: (place.code,)})
        for tag in interests.tags:
            _add(reader, "tag", tag, tag, text=tag)
        for keyword in interests.keywords:
            _add(reader, "keyword", keyword, keyword, text=keyword)
    for saved in member.saved_searches.all():
        filters = {
            name: (int(value) if name == "year" else value,)
            for name, value in saved.filters.items()
            if name in SAVED_SEARCH_FILTERS and value
        }
        if saved.query or filters:
            _add(reader, "saved_search", str(saved.pk), saved.name, text=saved.query, filters=filters)
    own_cases = {} if own_cases is None else own_cases
    if member.place_id not in own_cases:
        own_cases[member.place_id] = _own_cases(member)
    for pk, title in own_cases[member.place_id]:
        _add(reader, "similar", str(pk), title, similar_to=f"case:{pk}", filters={"type": ("case",)})
    _add_follows(reader, member.follows.all())
    return reader


def _add(reader: _Reader, code: str, value: str, label: str, **criterion) -> None:
    name = f"{code}:{len(reader.criteria)}"
    reader.criteria.append(MatchCriterion(name=name, weight=WEIGHTS[code], peer=True, **criterion))
    reader.reasons[name] = Reason(code=code, value=value, label=label)


def _add_follows(reader: _Reader, follows) -> None:
    for follow in follows:
        if follow.case_id:
            reader.followed_cases[follow.case_id] = follow.case.title
        elif follow.community_id:
            reader.followed_communities[follow.community_id] = (follow.community.title, follow.community.get_url() or "")
        else:
            reader.followed_members[str(follow.followed_member.user_id)] = follow.followed_member.display_name
    if reader.followed_cases:
        reader.criteria.append(
            MatchCriterion(name="follow_case", weight=WEIGHTS["follow_case"], filters={"case": tuple(reader.followed_cases)})
        )
    if reader.followed_communities:
        communities = tuple(reader.followed_communities)
        reader.criteria.append(
            MatchCriterion(
                name="follow_community", weight=WEIGHTS["follow_community"], filters={"community": communities, "type": ("post",)}
            )
        )
    if reader.followed_members:
        authors = tuple(reader.followed_members)
        reader.criteria.append(MatchCriterion(name="follow_member", weight=WEIGHTS["follow_member"], filters={"author": authors}))


def _own_cases(member) -> list[tuple[int, str]]:
    """The cases of the member's own local government (theirs and their colleagues'), newest first."""
    from cases.models import CaseStudyPage

    own = Q(lead_place=member.place_id) | Q(participating_places=member.place_id)
    cases = CaseStudyPage.objects.live().filter(own).distinct().order_by("-last_published_at", "-pk")
    return list(cases.values_list("pk", "title")[:OWN_CASES_COMPARED])


def _request(reader: _Reader, audiences, since, until, exclude_documents, limit: int) -> MatchRequest:
    member = reader.member
    return MatchRequest(
        criteria=tuple(reader.criteria),
        audiences=tuple(audiences),
        include_lessons=permissions.can_read_members_only(member.user),
        published_from=since,
        published_until=until,
        own_places=(member.place.code,),
        exclude_authors=(str(member.user_id),),
        exclude_documents=frozenset(exclude_documents),
        # Posts of a followed community become one entry: ask for some more than `limit` documents.
        size=limit + GROUP_HEADROOM,
    )


def _entries(reader: _Reader, matches: list[Match], limit: int) -> list[MatchEntry]:
    entries: list[MatchEntry] = []
    groups: dict[int, MatchEntry] = {}
    for found in matches:
        hit = found.hit
        reasons = _reasons(reader, found)
        if not reasons:
            continue
        community_id = hit.source.get("community_id")
        if hit.type == "post" and community_id in reader.followed_communities and "follow_community" in found.criteria:
            group = groups.get(community_id)
            if group is None:
                title, url = reader.followed_communities[community_id]
                group = groups[community_id] = MatchEntry(
                    key=f"{GROUP_TYPE}:{community_id}",
                    type=GROUP_TYPE,
                    title=title,
                    url=url,
                    region="",
                    municipality="",
                    summary=hit.title,
                    published_at=hit.published_at,
                    score=hit.score,
                    count=0,
                )
                entries.append(group)
            group.count += 1
            group.document_ids += (hit.id,)
            group.score = max(group.score, hit.score)
            if hit.published_at and (group.published_at is None or hit.published_at > group.published_at):
                group.published_at, group.summary = hit.published_at, hit.title
            group.reasons += [reason for reason in reasons if reason not in group.reasons]
            continue
        entries.append(
            MatchEntry(
                key=hit.id,
                type=hit.type,
                title=hit.title,
                url=hit.url,
                region=hit.region,
                municipality=hit.municipality,
                summary=(hit.source.get("summary") or "")[:SUMMARY_CHARS],
                published_at=hit.published_at,
                score=hit.score,
                reasons=reasons,
                document_ids=(hit.id,),
            )
        )
    # Most relevant first, and newest first among equally relevant ones.
    entries.sort(key=lambda entry: entry.published_at.timestamp() if entry.published_at else 0.0, reverse=True)
    entries.sort(key=lambda entry: entry.score, reverse=True)
    return entries[:limit]


def _reasons(reader: _Reader, found: Match) -> list[Reason]:
    reasons: list[Reason] = []
    for name in found.criteria:
        reason = reader.reasons.get(name) or _follow_reason(reader, name, found.hit)
        if reason is not None and reason not in reasons:
            reasons.append(reason)
    # The strongest reason first: what the member asked for by name before what they share by topic.
    return sorted(reasons, key=lambda reason: -WEIGHTS[reason.code])


def _follow_reason(reader: _Reader, name: str, hit) -> Reason | None:
    source = hit.source
    if name == "follow_case" and source.get("case_id") in reader.followed_cases:
        return Reason(code=name, value=str(source["case_id"]), label=reader.followed_cases[source["case_id"]])
    if name == "follow_community" and source.get("community_id") in reader.followed_communities:
        community_id = source["community_id"]
        return Reason(code=name, value=str(community_id), label=reader.followed_communities[community_id][0])
    if name == "follow_member":
        for author in source.get("authors") or ():
            if author in reader.followed_members:
                return Reason(code=name, value=author, label=reader.followed_members[author])
    return None
