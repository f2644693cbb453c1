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
from dataclasses import dataclass, field

from django.utils.translation import gettext as _


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
    texts = {
        "sector": _("관심 분야 %(label)s와(과) 일치"),
        "technology": _("관심 기술 %(label)s와(과) 일치"),
        "tag": _("관심 태그 %(label)s와(과) 일치"),
        "place": _("관심 지역 %(label)s의 소식"),
        "keyword": _("키워드 ‘%(label)s’와(과) 일치"),
        "saved_search": _("구독한 검색 ‘%(label)s’의 새 결과"),
        "similar": _("귀하의 %(label)s 사업과 유사"),
        "follow_case": _("팔로우한 사례 %(label)s의 새 소식"),
        "follow_community": _("팔로우한 커뮤니티 %(label)s의 새 글"),
        "follow_member": _("팔로우한 회원 %(label)s의 새 글"),
    }
    return texts[reason.code] % {"label": reason.label}


@dataclass
class MatchEntry:
    """One entry of a digest or a notification list: a document, or a group of posts in one followed community.

    `key` is the document id ("case:12") or, for a group, "community:<pk>"; `document_ids` every document it stands
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
        from search.labels import label_for

        if self.municipality:
            return label_for("municipality", self.municipality)
        return label_for("region", self.region) if self.region else ""


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
    return members_matches([member], since=since, until=until, exclude_documents={member.pk: exclude_documents}, limit=limit)[
        member.pk
    ]


def members_matches(
    members,
    *,
    since: datetime.datetime,
    until: datetime.datetime,
    exclude_documents: dict[int, frozenset[str] | set[str]] | None = None,
    limit: int = 20,
) -> dict[int, list[MatchEntry]]:
    """`member_matches` for many members in batched backend queries (Elasticsearch msearch); keyed by member pk."""
    raise NotImplementedError
