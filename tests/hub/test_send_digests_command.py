"""manage.py send_digests: dry runs that write nothing, JSON for one member, real runs, clear errors."""

import json
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from hub.matching import Reason
from hub.models import Digest, DigestRun, DigestSentItem
from tests.factories import make_case
from tests.hub.digest_helpers import digest_member, published_at, seoul

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("send_digests", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def jeju_member(search_sqlite):
    member = digest_member(email="kim@jeju.example")
    case = make_case(place_code="41110", title="IoT 대기질 측정망", sector="environment", technologies=("iot",))
    published_at(case, seoul("2026-11-20 12:00"))
    return member, case


def test_a_dry_run_for_one_member_prints_entries_and_reasons_as_json_and_writes_nothing(jeju_member):
    member, case = jeju_member
    output = run("--frequency", "daily", "--dry-run", "--member", "KIM@jeju.example", "--now", "2026-11-21T07:00", "--json")

    [entry] = json.loads(output)
    reasons = entry.pop("reasons")
    assert entry == {"key": f"case:{case.pk}", "type": "case", "title": "IoT 대기질 측정망", "region": "41000"}
    assert set(reasons) == {
        Reason(code="technology", value="iot", label="IoT").text,
        Reason(code="sector", value="environment", label="환경").text,
    }
    assert not Digest.objects.exists() and not DigestRun.objects.exists() and not DigestSentItem.objects.exists()
    assert mail.outbox == []


def test_a_dry_run_for_everyone_lists_each_member(jeju_member):
    output = run("--frequency", "daily", "--dry-run", "--now", "2026-11-21T07:00:00+09:00")
    assert "kim@jeju.example: 1 entries" in output and "nothing sent" in output
    assert not Digest.objects.exists() and mail.outbox == []


def test_a_real_run_sends_and_prints_the_counts(jeju_member):
    output = run("--frequency", "daily", "--now", "2026-11-21T07:00", "--json")
    counts = json.loads(output)
    assert {key: counts[key] for key in ("members", "sent", "empty", "failed", "unsubscribed")} == {
        "members": 1,
        "sent": 1,
        "empty": 0,
        "failed": 0,
        "unsubscribed": 0,
    }
    assert counts["period_start"] == "2026-11-20T07:00:00+09:00" and counts["period_end"] == "2026-11-21T07:00:00+09:00"
    assert len(mail.outbox) == 1

    again = run("--frequency", "daily", "--now", "2026-11-21T07:00")
    assert "sent 0" in again and len(mail.outbox) == 1


def test_a_run_for_one_member_leaves_the_others_alone(jeju_member):
    other = digest_member(email="lee@jeju.example")
    run("--frequency", "daily", "--member", "kim@jeju.example", "--now", "2026-11-21T07:00")
    assert [m.to for m in mail.outbox] == [["kim@jeju.example"]]
    assert not Digest.objects.filter(member=other).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--now", "어제 아침"], "--now: '어제 아침' is not an ISO date-time"),
        (["--now", "2026-13-40T07:00"], "is not an ISO date-time"),
        (["--member", "nobody@nowhere.example"], "--member: no member has the e-mail address 'nobody@nowhere.example'"),
    ],
)
def test_bad_arguments_name_the_problem(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("send_digests", "--frequency", "daily", *args, stdout=StringIO(), stderr=StringIO())
    assert not DigestRun.objects.exists()


def test_an_unknown_frequency_is_refused():
    with pytest.raises(CommandError, match="invalid choice: 'monthly'"):
        call_command("send_digests", "--frequency", "monthly", stdout=StringIO(), stderr=StringIO())
