"""The PII guard: the scanner, `manage.py pii_scan`, blocking of case/log/post publication with a curator's recorded
override, and the curators' list of flags."""

import io
import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command, execute_from_command_line
from django.urls import reverse

from cases.models import CaseIndexPage, CaseStudyPage, ProjectLogEntry
from cases.services import log_entry_create
from communities import services as community_services
from communities.models import CommunityPost
from hub.models import PiiFlag
from hub.pii import pii_scan_text, pii_score, rrn_birth_date, rrn_check_digit_ok
from hub.pii_guard import PiiBlocked
from tests.factories import add_member, make_case, make_community, make_user

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
CORPUS = json.loads((ROOT / "tests" / "data" / "pii_corpus.json").read_text(encoding="utf-8"))

PHONE = "010-2345-6789"
PHONE_MASKED = "010-****-6789"
RRN = "900101-1234568"  # check digit right
EMAIL = "minsu.kim@naver.com"


def found(text: str) -> list[tuple[str, str]]:
    return [(f.type, f.text) for f in pii_scan_text(text)]


# Scanner -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"연락처 {PHONE}", [("mobile", PHONE)]),
        ("H.P 010.9876.5432", [("mobile", "010.9876.5432")]),
        ("01055556666", [("mobile", "01055556666")]),
        ("+82-10-2468-1357", [("mobile", "+82-10-2468-1357")]),
        ("자택 (02) 2345-6789", [("landline", "(02) 2345-6789")]),
        ("031-987-6543", [("landline", "031-987-6543")]),
        ("070-4567-8901", [("landline", "070-4567-8901")]),
        (f"주민등록번호 {RRN}", [("rrn", RRN)]),
        (f"메일 {EMAIL}, 기관 traffic@seoul.go.kr", [("email", EMAIL)]),
        ("Kim@Gmail.com", [("email", "Kim@Gmail.com")]),
    ],
)
def test_scanner_finds_personal_data(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "총사업비 1,250,000,000원",
        "2024-03-15 착수, 2024.03.15 보고",
        "과제번호 2024-0312-0001",
        "SC-010-2024-1234",
        "과제번호: 010-2024-1234",
        "ISBN 978-89-01-12345-6",
        "위도 37.5665, 경도 126.9780",
        "(04524) 서울특별시 중구",
        "v010.1234.5678",
        "대표번호 1588-1234, 1661-2345, 1800-1234",
        "smart@kisa.or.kr, help@snu.ac.kr, info@gachi.example, press@samsung.com",
        "법인등록번호 110111-1234567",
        "010-****-5678 / 900101-1******",
    ],
)
def test_scanner_leaves_lookalikes_alone(text):
    assert found(text) == []


def test_offsets_point_into_the_original_text_even_with_full_width_digits():
    text = "😀 휴대전화：０１０－５６７８－１２３４ 그리고 kim@naver.com"
    findings = pii_scan_text(text)
    assert [f.type for f in findings] == ["mobile", "email"]
    for finding in findings:
        assert text[finding.start : finding.end] == finding.text


def test_rrn_check_digit_raises_confidence_but_is_not_required():
    assert rrn_check_digit_ok(RRN.replace("-", ""))
    wrong = RRN[:-1] + str((int(RRN[-1]) + 1) % 10)
    assert not rrn_check_digit_ok(wrong.replace("-", ""))
    assert [(f.text, f.confidence) for f in pii_scan_text(f"{RRN} {wrong}")] == [(RRN, "high"), (wrong, "medium")]
    # Thirteen bare digits need the check digit or a label, or they are taken for some other number.
    assert found(wrong.replace("-", "")) == []
    assert found("주민번호 " + wrong.replace("-", "")) == [("rrn", wrong.replace("-", ""))]
    assert found(RRN.replace("-", "")) == [("rrn", RRN.replace("-", ""))]


@pytest.mark.parametrize(
    ("yymmdd", "gender", "exists"),
    [
        ("960229", "1", True),  # 1996 is a leap year
        ("970229", "2", False),
        ("000229", "3", True),  # 2000 is a leap year (divisible by 400)
        ("000229", "1", False),  # 1900 is not
        ("000229", "9", False),  # nor is 1800
        ("040229", "0", True),  # 1804 is
        ("991301", "1", False),
        ("990431", "5", False),
        ("990101", "4", False),  # 2099: not born yet
    ],
)
def test_birth_date_follows_the_century_of_the_gender_digit(yymmdd, gender, exists):
    assert (rrn_birth_date(yymmdd, gender) is not None) is exists
    number = f"{yymmdd}-{gender}234567"
    assert (found(f"주민번호 {number}") == [("rrn", number)]) is exists


def test_masking_keeps_enough_to_recognise_and_no_more():
    masks = {f.type: f.masked for f in pii_scan_text(f"{RRN} {PHONE} 02-2345-6789 {EMAIL}")}
    assert masks == {"rrn": "900101-1******", "mobile": PHONE_MASKED, "landline": "02-****-6789", "email": "mi*******@naver.com"}


def test_corpus_precision_and_recall():
    assert len(CORPUS["positive"]) >= 50 and len(CORPUS["negative"]) >= 50
    assert all(item["expected"] for item in CORPUS["positive"]) and not any(item["expected"] for item in CORPUS["negative"])
    score = pii_score(CORPUS["positive"] + CORPUS["negative"])
    assert score.true_positives >= 50
    assert score.precision >= 0.95 and score.recall >= 0.95, score.misses
    negatives = pii_score(CORPUS["negative"])
    assert negatives.false_positives <= 2, negatives.misses


# manage.py pii_scan --------------------------------------------------------------


def test_command_prints_findings_of_a_file_as_json(tmp_path):
    path = tmp_path / "note.md"
    text = f"# 회의록\n담당 {PHONE}, 예산 1,250,000,000원\n"
    path.write_text(text, encoding="utf-8")
    out = io.StringIO()
    call_command("pii_scan", str(path), stdout=out)
    findings = json.loads(out.getvalue())
    assert findings == [
        {"type": "mobile", "start": text.index(PHONE), "end": text.index(PHONE) + len(PHONE), "text": PHONE, "confidence": "high"}
    ]


def test_command_reads_stdin():
    out = io.StringIO()
    call_command("pii_scan", "-", stdin=io.StringIO(f"주민번호 {RRN}"), stdout=out)
    assert [(f["type"], f["text"], f["start"]) for f in json.loads(out.getvalue())] == [("rrn", RRN, 5)]


def test_command_refuses_missing_and_undecodable_files(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("pii_scan", str(tmp_path / "nope.txt"))
    (tmp_path / "latin1.txt").write_bytes("café 010-2345-6789".encode("latin-1"))
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("pii_scan", str(tmp_path / "latin1.txt"))


def test_command_as_a_process_reads_real_stdin():
    manage = [sys.executable, str(ROOT / "manage.py"), "pii_scan", "-"]
    done = subprocess.run(manage, input=f"메일 {EMAIL}".encode(), capture_output=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [{"type": "email", "start": 3, "end": 3 + len(EMAIL), "text": EMAIL, "confidence": "high"}]


def test_command_line_exits_non_zero_naming_the_problem(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        execute_from_command_line(["manage.py", "pii_scan", str(tmp_path / "nope.txt")])
    assert exited.value.code != 0 and "nope.txt: no such file" in capsys.readouterr().err


# Case studies in the Wagtail admin ------------------------------------------------


class _FormFields(HTMLParser):
    """The fields a browser would submit from one <form> (by id): inputs, checked boxes, textareas, selections."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside, self.fields = form_id, False, []
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside = True
        if not self.inside or "__prefix__" in (attrs.get("name") or ""):
            return
        if tag == "input" and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "image", "file") or (kind in ("checkbox", "radio") and "checked" not in attrs):
                return
            self.fields.append((attrs["name"], attrs.get("value") or ("on" if kind in ("checkbox", "radio") else "")))
        elif tag == "textarea" and attrs.get("name"):
            self._textarea = [attrs["name"], ""]
        elif tag == "select" and attrs.get("name"):
            self._select = attrs["name"]
        elif tag == "option" and self._select and "selected" in attrs:
            self.fields.append((self._select, attrs.get("value", "")))

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea[0], self._textarea[1].removeprefix("\n")))
            self._textarea = None
        elif tag == "select":
            self._select = None


def admin_form_data(client, url: str, form_id: str, **changes) -> dict:
    """What the editor at `url` would submit, with `changes` typed in."""
    parser = _FormFields(form_id)
    parser.feed(client.get(url).content.decode())
    data: dict = {}
    for name, value in parser.fields:
        data.setdefault(name, []).append(value)
    data.update({name: [value] for name, value in changes.items()})
    return data


@pytest.fixture
def official():
    return make_user(role="official", place_code="41110")


@pytest.fixture
def curator():
    return make_user(role="curator", place_code="11000")


@pytest.fixture
def case():
    return make_case(place_code="41110", title="스마트 버스정류장", summary="정류장 도착 알림")


def edit_case(client, case, **changes):
    url = f"/admin/pages/{case.pk}/edit/"
    return client.post(url, admin_form_data(client, url, "page-edit-form", **changes))


def test_publishing_a_case_with_a_phone_number_is_refused_with_the_finding_named(client, official, case):
    client.force_login(official)
    response = edit_case(client, case, problem=f"문의는 이장님 {PHONE}로", **{"action-publish": "action-publish"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "개인정보로 보이는 내용이 있어 게시할 수 없습니다" in page and f"휴대전화 번호 {PHONE_MASKED}" in page
    assert PHONE not in page.split('name="problem"')[0]  # the message shows the number masked
    live = CaseStudyPage.objects.get(pk=case.pk)
    assert PHONE not in live.problem and live.get_latest_revision().pk == case.get_latest_revision().pk
    flag = PiiFlag.objects.get()
    assert flag.outcome == PiiFlag.Outcome.BLOCKED and flag.content_object == live and flag.user == official
    assert flag.findings == [{"type": "mobile", "field": "문제", "masked": PHONE_MASKED, "confidence": "high"}]
    assert 'name="pii_override_reason"' not in page  # only curators may override


def test_saving_a_draft_with_personal_data_stays_possible(client, official, case):
    client.force_login(official)
    response = edit_case(client, case, problem=f"문의 {PHONE}")
    assert response.status_code == 302
    case.refresh_from_db()
    assert PHONE in case.get_latest_revision_as_object().problem and PHONE not in case.problem
    assert not PiiFlag.objects.exists()


def test_submitting_for_moderation_is_refused_too(client, official, case):
    client.force_login(official)
    response = edit_case(client, case, summary=f"주민등록번호 {RRN} 사례", **{"action-submit": "action-submit"})
    assert response.status_code == 200 and "주민등록번호 900101-1******" in response.content.decode()


def test_the_institutional_contact_fields_are_not_scanned(client, official, case):
    client.force_login(official)
    # Officials submit for the curators' review (they do not publish): the guard lets the submission through.
    response = edit_case(client, case, contact_phone=PHONE, contact_email=EMAIL, **{"action-submit": "action-submit"})
    assert response.status_code == 302
    case = CaseStudyPage.objects.get(pk=case.pk)
    assert case.workflow_in_progress and case.get_latest_revision_as_object().contact_phone == PHONE


def test_curator_publishes_anyway_with_a_reason_and_it_is_recorded(client, curator, case):
    client.force_login(curator)
    assert 'name="pii_override_reason"' in client.get(f"/admin/pages/{case.pk}/edit/").content.decode()
    without = edit_case(client, case, partners=f"마을 이장 {PHONE}", **{"action-publish": "action-publish"})
    assert without.status_code == 200 and "개인정보 경고 무시 사유" in without.content.decode()
    assert PHONE not in CaseStudyPage.objects.get(pk=case.pk).partners

    reason = "마을회관 공용 휴대전화로, 이장 본인이 공개에 동의함"
    response = edit_case(client, case, partners=f"마을 이장 {PHONE}", pii_override_reason=reason, **{"action-publish": "action-publish"})
    assert response.status_code == 302
    live = CaseStudyPage.objects.get(pk=case.pk)
    assert live.partners == f"마을 이장 {PHONE}"
    override = PiiFlag.objects.get(outcome=PiiFlag.Outcome.OVERRIDDEN)
    assert (override.user, override.reason, override.content_object) == (curator, reason, live)
    assert override.findings == [{"type": "mobile", "field": "협력 기관", "masked": PHONE_MASKED, "confidence": "high"}]


def test_a_reason_sent_by_a_non_curator_is_ignored(client, official, case):
    client.force_login(official)
    response = edit_case(client, case, lessons=f"메일 {EMAIL}", pii_override_reason="괜찮음", **{"action-publish": "action-publish"})
    assert response.status_code == 200 and "개인 이메일 주소 mi*******@naver.com" in response.content.decode()
    assert not PiiFlag.objects.filter(outcome=PiiFlag.Outcome.OVERRIDDEN).exists()


def test_a_new_case_with_personal_data_is_not_published(client, official):
    index = CaseIndexPage.objects.get()
    url = f"/admin/pages/add/cases/casestudypage/{index.pk}/"
    client.force_login(official)
    data = admin_form_data(
        client,
        url,
        "page-edit-form",
        title="새 사례",
        slug="new-case",
        key="new-case",
        summary=f"담당 {PHONE}",
        start_year="2025",
        **{"action-publish": "action-publish"},
    )
    for name in ("sector", "stage", "lead_place"):
        data.setdefault(name, [])
    data["sector"], data["stage"] = ["1"], ["1"]
    data["lead_place"] = [str(official.member.place_id)]
    response = client.post(url, data)
    assert response.status_code == 200 and PHONE_MASKED in response.content.decode()
    assert not CaseStudyPage.objects.filter(key="new-case").exists()
    flag = PiiFlag.objects.get()
    assert flag.content_object == index.specific and flag.subject == "새 사례"


# Project logs --------------------------------------------------------------------


def test_log_entry_with_personal_data_is_refused_and_the_attempt_flagged(client, official, case):
    client.force_login(official)
    data = {"date": "2026-03-02", "kind": "progress", "title": "주민 설명회", "body": f"참석자 김영희 {RRN}"}
    response = client.post(f"{case.url}logs/new/", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "주민등록번호 900101-1******" in page and "큐레이터에게 요청해 주세요" in page
    assert not ProjectLogEntry.objects.exists()
    client.post(f"{case.url}logs/new/", data)  # the same attempt again is not a second flag
    flag = PiiFlag.objects.get()
    assert (flag.outcome, flag.content_object, flag.subject) == (PiiFlag.Outcome.BLOCKED, case, "주민 설명회")


def test_log_entry_edit_is_guarded_too(client, official, case):
    entry = log_entry_create(case=case, author=official, date="2026-01-05", kind="progress", title="착수")
    client.force_login(official)
    response = client.post(f"{case.url}logs/{entry.pk}/edit/", {"date": "2026-01-05", "kind": "progress", "title": f"착수 {PHONE}"})
    assert response.status_code == 200 and PHONE_MASKED in response.content.decode()
    entry.refresh_from_db()
    assert entry.title == "착수"


def test_service_refuses_without_a_form_in_between(official, case):
    with pytest.raises(PiiBlocked) as refused:
        log_entry_create(case=case, author=official, date="2026-01-05", kind="progress", title="t", body=EMAIL)
    assert [f.finding.type for f in refused.value.findings] == ["email"]
    assert not ProjectLogEntry.objects.exists()


def test_curator_overrides_on_a_log_entry(client, curator, case):
    client.force_login(curator)
    form = client.get(f"{case.url}logs/new/").content.decode()
    assert 'name="pii_override_reason"' in form
    data = {"date": "2026-03-02", "kind": "progress", "title": "콜센터", "body": f"민원 창구 {PHONE}"}
    response = client.post(f"{case.url}logs/new/", {**data, "pii_override_reason": "기관 업무용 휴대전화"})
    entry = ProjectLogEntry.objects.get()
    assert response.status_code == 302 and PHONE in entry.body
    override = PiiFlag.objects.get()
    assert (override.outcome, override.content_object, override.reason) == (PiiFlag.Outcome.OVERRIDDEN, entry, "기관 업무용 휴대전화")


# Community posts -----------------------------------------------------------------


@pytest.fixture
def community():
    return make_community()


@pytest.fixture
def member(community):
    user = make_user(name="김회원")
    add_member(community, user)
    return user


def test_posts_replies_and_edits_with_personal_data_are_refused(client, community, member):
    client.force_login(member)
    response = client.post(f"{community.url}posts/new/", {"title": "연락 주세요", "body": f"제 메일은 {EMAIL}"})
    assert response.status_code == 200 and "개인 이메일 주소 mi*******@naver.com (내용)" in response.content.decode()
    assert not CommunityPost.objects.exists()

    topic = community_services.post_create(community=community, author=member, title="질문", body="본문")
    response = client.post(f"{community.url}posts/{topic.pk}/", {"body": f"전화 주세요 {PHONE}"})
    assert response.status_code == 200 and PHONE_MASKED in response.content.decode()
    response = client.post(f"{community.url}posts/{topic.pk}/edit/", {"title": f"질문 {PHONE}", "body": "본문"})
    assert response.status_code == 200 and f"{PHONE_MASKED} (제목)" in response.content.decode()
    assert list(CommunityPost.objects.values_list("title", "body")) == [("질문", "본문")]
    subjects = {(flag.subject, flag.content_type.model) for flag in PiiFlag.objects.all()}
    assert subjects == {("연락 주세요", "communitypage"), ("‘질문’에 단 댓글", "communitypost"), (f"질문 {PHONE}", "communitypost")}


def test_curator_overrides_on_a_post(client, community):
    curator = make_user(role="curator")
    add_member(community, curator)
    client.force_login(curator)
    body = f"행사 문의 {PHONE}"
    response = client.post(f"{community.url}posts/new/", {"title": "행사", "body": body, "pii_override_reason": "행사 담당 공용 번호"})
    post = CommunityPost.objects.get()
    assert response.status_code == 302 and post.body == body
    assert PiiFlag.objects.get().content_object == post


# The curators' list --------------------------------------------------------------


def test_curators_see_the_flags_with_links_others_get_403(client, official, curator, case, community, member):
    client.force_login(official)
    client.post(f"{case.url}logs/new/", {"date": "2026-03-02", "kind": "progress", "title": "설명회", "body": f"연락 {PHONE}"})
    client.force_login(member)
    client.post(f"{community.url}posts/new/", {"title": "메일", "body": EMAIL})
    url = reverse("hub:pii_flags")

    for user in (official, member):
        client.force_login(user)
        assert client.get(url).status_code == 403
    client.force_login(official)
    assert f'"{url}"' not in client.get("/admin/").content.decode()  # no menu entry for officials
    client.logout()
    assert client.get(url).status_code == 302

    client.force_login(curator)
    assert f'"{url}"' in client.get("/admin/").content.decode()  # the admin menu leads there
    page = client.get(url).content.decode()
    assert f'href="/admin/pages/{case.pk}/edit/"' in page and f'href="{community.url}"' in page
    assert PHONE_MASKED in page and PHONE not in page and "mi*******@naver.com" in page
    assert "설명회" in page and "메일" in page and "게시 차단" in page
    blocked_only = client.get(url, {"outcome": "overridden"}).content.decode()
    assert "설명회" not in blocked_only and "기록된 개인정보 경고가 없습니다" in blocked_only
    assert client.get(url, {"outcome": "nonsense"}).status_code == 400


def test_flag_links_lead_to_the_log_entry_and_the_post(client, curator, case, community):
    add_member(community, curator)
    client.force_login(curator)
    client.post(
        f"{case.url}logs/new/", {"date": "2026-03-02", "kind": "progress", "title": "로그", "body": PHONE, "pii_override_reason": "공용"}
    )
    client.post(f"{community.url}posts/new/", {"title": "글", "body": PHONE, "pii_override_reason": "공용"})
    entry, post = ProjectLogEntry.objects.get(), CommunityPost.objects.get()
    page = client.get(reverse("hub:pii_flags")).content.decode()
    assert f'href="{case.url}#log-{entry.pk}"' in page and f'href="{community.url}posts/{post.pk}/#post-{post.pk}"' in page
    assert page.count("경고 무시 후 게시") >= 2 and "공용" in page
