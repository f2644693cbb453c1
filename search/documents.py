"""What the hub index holds: one flat document per searchable item, built from the database, the same for both backends.

    document id     "<type>:<pk>": case, log, post, community, showcase
    audience        who may read it: "public", "members" (approved members), "community:<pk>" (that community's
                    members); the search service turns a viewer into the audiences they may read
    place           region (시도 code) and municipality (시군구 or foreign city code) of the lead place (cases,
                    their logs) or of the author (posts); codes only, labels come from search/labels.py
    vocabularies    sectors, technologies, stage: slugs; year; language; published_at (the last publication or
                    change, in UTC: digests and notifications match what is new in a time window)
    ownership       places: codes of every local government the item belongs to (a case's lead and participating
                    places; a log's case's; a post's author's), so peer matching can leave out a member's own;
                    authors: user ids of who wrote it; case_id (a case and its logs) and community_id (a community
                    and its posts) for follows
    curation        featured (["yes"] for a case curators feature, else []) and awards (the award slugs a case holds):
                    lists, so that both backends store them as multi-valued keywords
    text            title, summary, body (plain text for snippets), and the analysed `*_terms` the backends match:
                    title_terms, body_terms, and lessons_terms (a case's lessons when only members may read them,
                    matched for members only)

Drafts, unpublished pages and hidden posts have no document (`documents_for` leaves them out, so the indexer
deletes them). The Elasticsearch mapping of these fields is `HubDocument` below; the SQLite backend keeps the same
fields in its own tables.
"""

from __future__ import annotations

import datetime
import hashlib
import html
from collections.abc import Callable, Iterable

from elasticsearch.dsl import Date, Document, Integer, Keyword, Text

from hub.markdown import markdown_to_text

from . import analysis

TYPES = ("case", "log", "post", "community", "showcase")
BODY_MAX_CHARS = 20_000  # what snippets are cut from; the terms cover the whole text
SUMMARY_MAX_CHARS = 600
TERMS_FIELDS = ("title_terms", "body_terms", "lessons_terms")
FEATURED = "yes"  # the one value of `featured`, and of the search filter of that name


def doc_id(type_: str, pk: int) -> str:
    return f"{type_}:{pk}"


def parse_doc_id(value: str) -> tuple[str, int]:
    type_, _, pk = value.partition(":")
    if type_ not in TYPES or not pk.isdigit():
        raise ValueError(f"not a document id: {value!r}")
    return type_, int(pk)


class HubDocument(Document):
    """The Elasticsearch mapping. `*_terms` hold analysed terms separated by spaces (built-in whitespace analyser)."""

    id = Keyword()
    type = Keyword()
    key = Keyword()
    title = Text(analyzer="standard")
    url = Keyword(index=False)
    summary = Text(index=False)
    body = Text(index=False)
    lessons = Text(index=False)
    language = Keyword()
    audience = Keyword()
    region = Keyword()
    municipality = Keyword()
    country = Keyword()
    sectors = Keyword()
    technologies = Keyword()
    stage = Keyword()
    tags = Keyword()
    featured = Keyword()
    awards = Keyword()
    year = Integer()
    published_at = Date()
    places = Keyword()
    authors = Keyword()
    case_id = Integer()
    community_id = Integer()
    title_terms = Text(analyzer="whitespace", norms=True)
    body_terms = Text(analyzer="whitespace")
    lessons_terms = Text(analyzer="whitespace")
    text_hash = Keyword(index=False)

    class Index:
        settings = {"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "1s"}

    class Meta:
        dynamic = "strict"


# Building documents ------------------------------------------------------------------------------------------------


def documents_for(type_: str, pks: Iterable[int]) -> dict[int, dict]:
    """Documents (without terms) for those of `pks` that are searchable now; the others are absent."""
    return BUILDERS[type_](list(pks))


def with_terms(document: dict, previous: dict | None = None) -> dict:
    """`document` plus its analysed terms; the previous version's terms are reused when its text is unchanged."""
    texts = document.pop("_texts")
    document["text_hash"] = hashlib.sha256("\x1e".join(texts).encode()).hexdigest()
    if previous and previous.get("text_hash") == document["text_hash"]:
        document.update({name: previous.get(name, "") for name in TERMS_FIELDS})
    else:
        document.update({name: " ".join(analysis.terms(text)) for name, text in zip(TERMS_FIELDS, texts, strict=True)})
    return document


def with_terms_batch(documents: list[dict], previous: dict[str, dict], workers: int | None = None) -> list[dict]:
    """`with_terms` for many documents at once, analysing on every core (reindex, demo load); not inside Celery."""
    todo = []
    for document in documents:
        texts = document["_texts"]
        digest = hashlib.sha256("\x1e".join(texts).encode()).hexdigest()
        old = previous.get(document["id"])
        if not (old and old.get("text_hash") == digest):
            todo.append(document)
    analysed = analysis.terms_batch([text for document in todo for text in document["_texts"]], workers=workers)
    fresh = {}
    for i, document in enumerate(todo):
        fresh[document["id"]] = analysed[i * 3 : i * 3 + 3]
    for document in documents:
        texts = document.pop("_texts")
        document["text_hash"] = hashlib.sha256("\x1e".join(texts).encode()).hexdigest()
        if document["id"] in fresh:
            document.update({name: " ".join(terms) for name, terms in zip(TERMS_FIELDS, fresh[document["id"]], strict=True)})
        else:
            document.update({name: previous[document["id"]].get(name, "") for name in TERMS_FIELDS})
    return documents


def _plain(markdown: str) -> str:
    return html.unescape(markdown_to_text(markdown)) if markdown else ""


def empty_document(type_: str, pk: int, **fields) -> dict:
    """A document with every field at its empty value, then `fields` (the builders below; benchmarks)."""
    document = {
        "id": doc_id(type_, pk),
        "type": type_,
        "key": f"{type_}-{pk}",
        "summary": "",
        "body": "",
        "lessons": "",
        "language": "ko",
        "audience": "public",
        "region": "",
        "municipality": "",
        "country": "",
        "sectors": [],
        "technologies": [],
        "stage": "",
        "tags": [],
        "featured": [],
        "awards": [],
        "year": None,
        "published_at": None,
        "places": [],
        "authors": [],
        "case_id": None,
        "community_id": None,
    }
    document.update(fields)
    return document


def _place_fields(place) -> dict:
    """region/municipality/country of a place: a 시군구 gives both codes, a 시도 only region, a foreign city only municipality."""
    if place is None:
        return {}
    if place.level == place.Level.PROVINCE:
        return {"region": place.code, "municipality": "", "country": place.country}
    if place.level == place.Level.MUNICIPALITY:
        return {"region": place.parent.code if place.parent_id else "", "municipality": place.code, "country": place.country}
    return {"region": "", "municipality": place.code, "country": place.country}


def _place_words(place) -> str:
    """Names a person might search a place by: 경기도 수원시 Suwon-si Gyeonggi-do."""
    if place is None:
        return ""
    names = [place.name, place.name_en]
    if place.parent_id:
        names += [place.parent.name, place.parent.name_en]
    return " ".join(name for name in names if name)


def _language_of(text: str) -> str:
    """Posts have no language field: Korean when a fair share of the letters is Hangul, else English."""
    hangul = sum(1 for ch in text if "\uac00" <= ch <= "\ud7a3")
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    return "ko" if hangul * 3 >= latin else "en"


def _iso(value) -> str | None:
    """UTC, so that both backends can compare the stored text with a window's bounds (search/service.py)."""
    return value.astimezone(datetime.UTC).isoformat() if value else None


def _owner_codes(*places) -> list[str]:
    return list(dict.fromkeys(place.code for place in places if place is not None))


def _author_ids(*user_ids) -> list[str]:
    return [str(pk) for pk in dict.fromkeys(user_ids) if pk]


def _cases(pks: list[int]) -> dict[int, dict]:
    from cases.models import CaseStudyPage
    from cases.models.pages import Visibility

    cases = (
        CaseStudyPage.objects.live()
        .filter(pk__in=pks)
        .select_related("lead_place__parent", "sector", "stage")
        .prefetch_related("technologies", "tags", "participating_places__parent", "indicators", "awards__award")
    )
    documents = {}
    for case in cases:
        technologies = list(case.technologies.all())
        lessons = _plain(case.lessons)
        # Lessons only members may read are matched and shown to members only; when the whole case is for members,
        # or its lessons are public, they are part of the body.
        restricted = case.visibility == Visibility.PUBLIC and case.lessons_visibility == Visibility.MEMBERS
        body_parts = [_plain(case.problem), _plain(case.solution), _plain(case.outcomes)]
        if not restricted:
            body_parts.append(lessons)
        body = "\n".join(part for part in body_parts if part)
        facts = " ".join(
            [
                case.sector.name,
                case.sector.name_en,
                case.stage.name,
                *(t.name for t in technologies),
                *(t.name_en for t in technologies),
                *(tag.name for tag in case.tags.all()),
                *(f"{i.label} {i.unit}" for i in case.indicators.all()),
                _place_words(case.lead_place),
                *(_place_words(p) for p in case.participating_places.all()),
                case.partners,
                case.vendors,
            ]
        )
        documents[case.pk] = empty_document(
            "case",
            case.pk,
            key=case.key,
            title=case.title,
            url=case.get_url(),
            summary=case.summary[:SUMMARY_MAX_CHARS],
            body=body[:BODY_MAX_CHARS],
            lessons=lessons[:BODY_MAX_CHARS] if restricted else "",
            language=case.language,
            audience="public" if case.visibility == Visibility.PUBLIC else "members",
            **_place_fields(case.lead_place),
            sectors=[case.sector.slug],
            technologies=[t.slug for t in technologies],
            stage=case.stage.slug,
            tags=[tag.name for tag in case.tags.all()],
            featured=[FEATURED] if case.is_featured else [],
            awards=sorted({case_award.award.slug for case_award in case.awards.all()}),
            year=case.start_year,
            published_at=_iso(case.last_published_at or case.first_published_at),
            places=_owner_codes(case.lead_place, *case.participating_places.all()),
            authors=_author_ids(case.owner_id),
            case_id=case.pk,
            _texts=(case.title, "\n".join([case.summary, body, facts]), lessons if restricted else ""),
        )
    return documents


def _logs(pks: list[int]) -> dict[int, dict]:
    from cases.models import ProjectLogEntry
    from cases.models.pages import Visibility

    entries = (
        ProjectLogEntry.objects.filter(pk__in=pks, case__live=True)
        .select_related("case__lead_place__parent", "case__sector", "case__stage")
        .prefetch_related("case__technologies", "case__participating_places")
    )
    documents = {}
    for entry in entries:
        case = entry.case
        body = _plain(entry.body)
        documents[entry.pk] = empty_document(
            "log",
            entry.pk,
            title=entry.title,
            url=f"{case.get_url()}#log-{entry.pk}",
            summary=case.title,
            body=body[:BODY_MAX_CHARS],
            language=case.language,
            audience="public" if case.visibility == Visibility.PUBLIC else "members",
            **_place_fields(case.lead_place),
            sectors=[case.sector.slug],
            technologies=[t.slug for t in case.technologies.all()],
            stage=case.stage.slug,
            year=entry.date.year,
            published_at=_iso(entry.created_at),
            places=_owner_codes(case.lead_place, *case.participating_places.all()),
            authors=_author_ids(entry.author_id),
            case_id=case.pk,
            _texts=(entry.title, "\n".join([body, case.title]), ""),
        )
    return documents


def _post_audience(community) -> str:
    visibility = community.post_visibility
    if visibility == community.PostVisibility.PUBLIC:
        return "public"
    if visibility == community.PostVisibility.MEMBERS:
        return "members"
    return f"community:{community.pk}"


def _posts(pks: list[int]) -> dict[int, dict]:
    from communities.models import CommunityPost

    posts = (
        CommunityPost.objects.filter(pk__in=pks, is_hidden=False, community__live=True)
        .exclude(parent__is_hidden=True)
        .select_related("community", "parent", "author__member__place__parent")
        .prefetch_related("community__sectors", "community__technologies")
    )
    documents = {}
    for post in posts:
        community = post.community
        topic = post.parent or post
        member = getattr(post.author, "member", None) if post.author_id else None
        body = _plain(post.body)
        title = post.title or (f"Re: {topic.title}" if post.parent_id and topic.title else body[:60])
        documents[post.pk] = empty_document(
            "post",
            post.pk,
            title=title,
            url=f"{community.get_url()}posts/{topic.pk}/#post-{post.pk}",
            summary=community.title,
            body=body[:BODY_MAX_CHARS],
            language=_language_of(f"{title} {body}"),
            audience=_post_audience(community),
            **_place_fields(member.place if member else None),
            sectors=[s.slug for s in community.sectors.all()],
            technologies=[t.slug for t in community.technologies.all()],
            year=post.created_at.year,
            published_at=_iso(post.created_at),
            places=_owner_codes(member.place if member else None),
            authors=_author_ids(post.author_id),
            community_id=community.pk,
            # A reply's "Re: topic" title is for display: ranked by it, every short reply would outrank the topic.
            _texts=(post.title, "\n".join([body, topic.title if post.parent_id else "", community.title]), ""),
        )
    return documents


def _communities(pks: list[int]) -> dict[int, dict]:
    from communities.models import CommunityPage

    communities = CommunityPage.objects.live().filter(pk__in=pks).prefetch_related("sectors", "technologies")
    documents = {}
    for community in communities:
        description = _plain(community.description)
        sectors, technologies = list(community.sectors.all()), list(community.technologies.all())
        facts = " ".join([*(s.name for s in sectors), *(t.name for t in technologies), *(t.name_en for t in technologies)])
        documents[community.pk] = empty_document(
            "community",
            community.pk,
            key=community.slug,
            title=community.title,
            url=community.get_url(),
            summary=description[:SUMMARY_MAX_CHARS],
            body=description[:BODY_MAX_CHARS],
            sectors=[s.slug for s in sectors],
            technologies=[t.slug for t in technologies],
            year=community.first_published_at.year if community.first_published_at else None,
            published_at=_iso(community.last_published_at or community.first_published_at),
            community_id=community.pk,
            _texts=(community.title, "\n".join([description, facts]), ""),
        )
    return documents


def _showcases(pks: list[int]) -> dict[int, dict]:
    from cases.models import ShowcasePage

    showcases = ShowcasePage.objects.live().filter(pk__in=pks).prefetch_related("items__case")
    documents = {}
    for showcase in showcases:
        intro = _plain(showcase.intro)
        case_titles = "\n".join(item.case.title for item in showcase.items.all())
        documents[showcase.pk] = empty_document(
            "showcase",
            showcase.pk,
            key=showcase.slug,
            title=showcase.title,
            url=showcase.get_url(),
            summary=intro[:SUMMARY_MAX_CHARS],
            body=intro[:BODY_MAX_CHARS],
            year=showcase.first_published_at.year if showcase.first_published_at else None,
            published_at=_iso(showcase.last_published_at or showcase.first_published_at),
            _texts=(showcase.title, "\n".join([intro, case_titles]), ""),
        )
    return documents


BUILDERS: dict[str, Callable[[list[int]], dict[int, dict]]] = {
    "case": _cases,
    "log": _logs,
    "post": _posts,
    "community": _communities,
    "showcase": _showcases,
}


def searchable_pks(type_: str) -> Iterable[int]:
    """Every pk of `type_` that should have a document now (for reindex and search_status)."""
    return searchable_querysets()[type_].values_list("pk", flat=True).order_by("pk").iterator()


def searchable_querysets() -> dict:
    from cases.models import CaseStudyPage, ProjectLogEntry, ShowcasePage
    from communities.models import CommunityPage, CommunityPost

    return {
        "case": CaseStudyPage.objects.live(),
        "log": ProjectLogEntry.objects.filter(case__live=True),
        "post": CommunityPost.objects.filter(is_hidden=False, community__live=True).exclude(parent__is_hidden=True),
        "community": CommunityPage.objects.live(),
        "showcase": ShowcasePage.objects.live(),
    }
