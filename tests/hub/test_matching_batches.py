"""What a digest run reads once rather than once per member or per batch (found by bench/digests.py): each local
government's own cases, each case's distinctive terms, each listed document's source; and how the batches are
pipelined (the next one is with the backend while the caller handles this one)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Technology
from hub import matching
from hub.interests import interests_update
from hub.matching import MatchBatch, members_matches, members_matches_batches
from search.backends import SearchUnavailable
from tests.factories import make_case, make_user
from tests.search_helpers import index_now

pytestmark = pytest.mark.django_db


def test_a_run_reads_each_places_cases_and_each_cases_terms_once(search_backend, monkeypatch):
    monkeypatch.setattr(matching, "BATCH_SIZE", 2)  # three batches of colleagues
    colleagues = [make_user(role="official", place_code="26110") for _ in range(6)]
    own = make_case(
        key="own", place_code="26110", title="버스 정류장 미세먼지 측정 센서", summary="정류장 미세먼지 센서 대기질 측정값 공개"
    )
    alike = make_case(
        key="alike", place_code="41110", title="정류장 미세먼지 센서 설치", summary="버스 정류장 측정 센서 대기질 측정값 공개"
    )
    index_now()
    read_terms, read_sources = [], []
    original = search_backend.distinctive_terms
    monkeypatch.setattr(search_backend, "distinctive_terms", lambda doc_id, **kw: read_terms.append(doc_id) or original(doc_id, **kw))
    sources = search_backend.match_sources
    monkeypatch.setattr(search_backend, "match_sources", lambda ids: read_sources.extend(ids) or sources(ids))
    now = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        entries = members_matches([user.member for user in colleagues], since=now - timezone.timedelta(hours=1), until=now)
    # Everyone is told about the peer case like their own, with the same reason.
    assert all([entry.key for entry in found] == [f"case:{alike.pk}"] for found in entries.values())
    assert {entry.reasons[0].value for found in entries.values() for entry in found} == {str(own.pk)}
    assert read_terms == [f"case:{own.pk}"]
    assert read_sources == [f"case:{alike.pk}"]
    own_case_queries = [q for q in queries.captured_queries if "cases_casestudypage_participating_places" in q["sql"]]
    assert len(own_case_queries) == 1


def test_batches_come_back_in_order_and_a_failing_batch_raises_where_it_would_come(search_backend, monkeypatch):
    members = [make_user(role="official", place_code=code).member for code in ("26110", "41110", "11110")]
    case = make_case(key="iot", place_code="27110", technologies=("iot",))
    index_now()
    for member in members:
        interests_update(
            member=member,
            sectors=(),
            technologies=Technology.objects.filter(slug="iot"),
            places=(),
            tags=(),
            keywords=(),
            digest_frequency="weekly",
        )
    now = timezone.now()
    window = {"since": now - timezone.timedelta(hours=1), "until": now}
    batches = [MatchBatch(members=[member], context=index) for index, member in enumerate(members)]
    answered = list(members_matches_batches(iter(batches), **window))
    assert [batch.context for batch, _entries in answered] == [0, 1, 2]
    assert all([entry.key for entry in entries[batch.members[0].pk]] == [f"case:{case.pk}"] for batch, entries in answered)

    original, calls = search_backend.match, []

    def fails_second_time(queries):
        calls.append(len(queries))
        if len(calls) == 2:
            raise SearchUnavailable("the node went away")
        return original(queries)

    monkeypatch.setattr(search_backend, "match", fails_second_time)
    stream = members_matches_batches(iter(batches), **window)
    first_batch, _entries = next(stream)  # the first batch is whole although the second is already failing
    assert first_batch.context == 0
    with pytest.raises(SearchUnavailable):
        next(stream)
