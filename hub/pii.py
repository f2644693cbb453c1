"""Finds personal data in free text before it is published: resident registration numbers (주민등록번호), Korean
mobile and landline numbers, and e-mail addresses on consumer mail services.

Pure Python (the standard library only), so the guard, `manage.py pii_scan` and `bench/pii.py` share one scanner.
Offsets are character offsets into the text as given. Full-width digits and typographic dashes are read as their
ASCII forms (one character for one, so offsets stay true).

Precision matters as much as recall: a guard that blocks budget figures, dates or project codes teaches people to
ignore it. So every candidate is checked against its surroundings: it must stand alone (no digit, Latin letter,
hyphen or dot joins it to a longer code), must not be labelled as a code (`과제번호`, `ISBN` ...), and must not be a
quantity (`원`, `명` ...). 1588-style representative numbers and 080/050x numbers are never personal.
"""

from __future__ import annotations

import calendar
import datetime
import re
from collections import Counter
from dataclasses import asdict, dataclass

RRN, MOBILE, LANDLINE, EMAIL = "rrn", "mobile", "landline", "email"
PII_TYPES = (RRN, MOBILE, LANDLINE, EMAIL)
HIGH, MEDIUM = "high", "medium"

# Consumer mail services: an address there belongs to a person. Institutional domains (*.go.kr, *.or.kr, *.ac.kr,
# *.re.kr, company domains, *.example) are the public contacts of organisations and are left alone.
CONSUMER_MAIL_DOMAINS = frozenset(
    {
        "naver.com",
        "hanmail.net",
        "daum.net",
        "kakao.com",
        "nate.com",
        "empas.com",
        "paran.com",
        "korea.com",
        "dreamwiz.com",
        "hanmir.com",
        "chol.com",
        "lycos.co.kr",
        "freechal.com",
        "gmail.com",
        "googlemail.com",
        "hotmail.com",
        "outlook.com",
        "outlook.kr",
        "live.com",
        "live.co.kr",
        "msn.com",
        "yahoo.com",
        "yahoo.co.kr",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "protonmail.com",
        "proton.me",
        "gmx.com",
        "zoho.com",
        "yandex.com",
        "mail.com",
    }
)


@dataclass(frozen=True, slots=True)
class PiiFinding:
    type: str  # one of PII_TYPES
    start: int
    end: int
    text: str
    confidence: str  # HIGH or MEDIUM

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def masked(self) -> str:
        return pii_mask(self)


# Normalisation ---------------------------------------------------------------

_FOLD = str.maketrans(
    {
        **{chr(0xFF10 + d): str(d) for d in range(10)},  # full-width digits
        **dict.fromkeys(["\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212", "\ufe63", "\uff0d"], "-"),
        "\uff0e": ".",
        "\uff20": "@",
        "\uff08": "(",
        "\uff09": ")",
        "\u3000": " ",
        "\u00a0": " ",
    }
)


# Context ---------------------------------------------------------------------

# A label right before the number that says it is a code, not a person's number.
_CODE_LABEL = re.compile(
    r"(?:(?:과제|사업|공고|접수|문서|관리|계약|입찰|조달|특허|출원|(?<!주민)(?<!외국인)등록|제품|모델|일련|고유|인증|허가|승인|법인|고시|시리얼|주문|송장|운송장|건축물|지번)"
    r"\s*(?:번호|코드|No\.?)|ISBN(?:-1[03])?|ISSN|DOI|품번|코드|S/N|Serial(?:\s*No\.?)?|No\.)"
    r"\s*[:：]?\s*[(\[]?\s*$",
    re.IGNORECASE,
)
_RRN_CONTEXT = re.compile(r"주민|외국인\s*등록|생년월일|RRN", re.IGNORECASE)
_PHONE_LABEL_BEFORE_DOT = re.compile(r"(?:^|[^A-Za-z])(?:tel|t|h\.?p|c\.?p|m|mob|mobile|phone|ph|fax|f)$", re.IGNORECASE)
# Quantities: a number with a unit attached is an amount, not an identifier ("원" may take a particle: "원을").
_UNIT_AFTER = re.compile(
    r"(?:원|만원|천원|억|명|건|개|대|회|세|톤|호|번지|%|퍼센트)(?:$|[^가-힣]|(?:을|를|이|가|은|는|의|에|으로|로|과|와|씩|까지|부터|정도))"
)
_CONTEXT_WINDOW = 24


def _is_ascii_alnum(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char == "_")


def _stands_alone(text: str, start: int, end: int) -> bool:
    """Nothing joins the candidate to a longer token: `SC-010-2024-1234`, `v010.1234.5678`, `010-1234-5678-01`."""
    if start > 0:
        before = text[start - 1]
        if _is_ascii_alnum(before) or before in "-+@#\\":
            return False
        if before == "/" and start > 1 and _is_ascii_alnum(text[start - 2]):
            return False  # a URL path segment
        if before == "." and not _PHONE_LABEL_BEFORE_DOT.search(text[max(0, start - 8) : start - 1]):
            return False  # "1.010.1234" is a version; "Tel.010-1234-5678" is a phone
    if end < len(text):
        after = text[end]
        if _is_ascii_alnum(after) or after == "@":
            return False
        if after in "-." and end + 1 < len(text) and _is_ascii_alnum(text[end + 1]):
            return False
    return True


def _line_before(text: str, start: int) -> str:
    line_start = text.rfind("\n", 0, start) + 1
    return text[max(line_start, start - _CONTEXT_WINDOW) : start]


def _labelled_as_code(text: str, start: int) -> bool:
    return bool(_CODE_LABEL.search(_line_before(text, start)))


def _is_quantity(text: str, end: int) -> bool:
    return bool(_UNIT_AFTER.match(text, end))


# Resident registration numbers -----------------------------------------------

_RRN_PATTERN = re.compile(r"(?<!\d)(?P<yy>\d{2})(?P<mm>\d{2})(?P<dd>\d{2})(?P<sep>-| ?)(?P<g>\d)(?P<serial>\d{6})(?!\d)")
_CENTURY = {"1": 1900, "2": 1900, "5": 1900, "6": 1900, "3": 2000, "4": 2000, "7": 2000, "8": 2000, "9": 1800, "0": 1800}
_RRN_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


def rrn_birth_date(yymmdd: str, gender_digit: str, *, today: datetime.date | None = None) -> datetime.date | None:
    """The birth date a number claims, or None when no such day exists (or it lies in the future)."""
    year = _CENTURY[gender_digit] + int(yymmdd[:2])
    month, day = int(yymmdd[2:4]), int(yymmdd[4:6])
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    born = datetime.date(year, month, day)
    return born if born <= (today or datetime.date.today()) else None


def rrn_check_digit_ok(digits: str) -> bool:
    """The check digit of numbers issued before October 2020 (residents; foreigners, gender digit 5-8, add 2)."""
    total = sum(int(d) * w for d, w in zip(digits[:12], _RRN_WEIGHTS, strict=True))
    offset = 13 if digits[6] in "5678" else 11
    return (offset - total % 11) % 10 == int(digits[12])


def _rrn_findings(text: str, folded: str) -> list[PiiFinding]:
    found = []
    for match in _RRN_PATTERN.finditer(folded):
        start, end = match.span()
        if not _stands_alone(folded, start, end) or _labelled_as_code(folded, start) or _is_quantity(folded, end):
            continue
        if rrn_birth_date(match["yy"] + match["mm"] + match["dd"], match["g"]) is None:
            continue
        checked = rrn_check_digit_ok(re.sub(r"\D", "", match[0]))
        # Without the hyphen thirteen digits are too often something else: ask for the check digit or a label.
        if match["sep"] != "-" and not checked and not _RRN_CONTEXT.search(_line_before(folded, start)):
            continue
        found.append(PiiFinding(RRN, start, end, text[start:end], HIGH if checked else MEDIUM))
    return found


# Phone numbers -------------------------------------------------------------------

_MOBILE_PATTERN = re.compile(
    r"(?<!\d)(?:(?P<intl>\+82[-. ]?(?:\(0\)|0)?)|0)(?P<prefix>1[016789])(?P<s1> ?[-.] ?| |)(?P<mid>[1-9]\d{2,3})(?P=s1)(?P<last>\d{4})(?!\d)"
)
_AREA = r"2|[3-6][1-5]|70"
_LANDLINE_PATTERN = re.compile(
    r"(?<!\d)(?:"
    rf"\+82[-. ]?(?P<iarea>{_AREA})(?P<is1> ?[-.] ?| )"
    rf"|\((?P<parea>0(?:{_AREA}))\) ?"
    rf"|(?P<area>0(?:{_AREA}))(?:\) ?|(?P<s1> ?[-.] ?| ))"
    r")(?P<mid>[2-9]\d{2,3})(?P<s2> ?[-.] ?| )(?P<last>\d{4})(?!\d)"
)


def _phone_ok(folded: str, start: int, end: int) -> bool:
    return _stands_alone(folded, start, end) and not _labelled_as_code(folded, start) and not _is_quantity(folded, end)


def _mobile_findings(text: str, folded: str) -> list[PiiFinding]:
    found = []
    for match in _MOBILE_PATTERN.finditer(folded):
        start, end = match.span()
        if not _phone_ok(folded, start, end):
            continue
        bare = not match["s1"] and not match["intl"]
        # 010 plus eight digits is unmistakable even without separators; older prefixes bare are less certain.
        confident = not bare or (match["prefix"] == "10" and len(match["mid"]) == 4)
        found.append(PiiFinding(MOBILE, start, end, text[start:end], HIGH if confident else MEDIUM))
    return found


def _landline_findings(text: str, folded: str) -> list[PiiFinding]:
    found = []
    for match in _LANDLINE_PATTERN.finditer(folded):
        start, end = match.span()
        first_sep = match["s1"] or match["is1"]
        if first_sep and first_sep.strip() != match["s2"].strip():
            continue  # "02-2024.0315" mixes separators: not written as a phone number
        if not _phone_ok(folded, start, end):
            continue
        # An office line is often an organisation's; it is reported, but with less certainty than a mobile.
        found.append(PiiFinding(LANDLINE, start, end, text[start:end], MEDIUM))
    return found


# E-mail ----------------------------------------------------------------------

_EMAIL_PATTERN = re.compile(
    r"(?<![A-Za-z0-9._%+\-])"
    r"(?P<local>[A-Za-z0-9](?:[A-Za-z0-9._%+\-]{0,62}[A-Za-z0-9_])?)"
    r"(?P<at>@|\s?[\[(](?:at|AT|골뱅이)[\])]\s?)"
    r"(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,})"
    r"(?![A-Za-z0-9\-@])"
)


def _email_findings(text: str, folded: str) -> list[PiiFinding]:
    found = []
    for match in _EMAIL_PATTERN.finditer(folded):
        if match["domain"].lower() not in CONSUMER_MAIL_DOMAINS:
            continue
        start, end = match.span()
        found.append(PiiFinding(EMAIL, start, end, text[start:end], HIGH if match["at"] == "@" else MEDIUM))
    return found


# The scanner ---------------------------------------------------------------------

_PRIORITY = {RRN: 0, MOBILE: 1, LANDLINE: 2, EMAIL: 3}


def pii_scan_text(text: str) -> list[PiiFinding]:
    """Every finding in `text`, in order of position; where two overlap the longer (then the more specific) wins."""
    if not text:
        return []
    folded = text.translate(_FOLD)
    candidates = [
        *_rrn_findings(text, folded),
        *_mobile_findings(text, folded),
        *_landline_findings(text, folded),
        *_email_findings(text, folded),
    ]
    candidates.sort(key=lambda f: (f.start, -(f.end - f.start), _PRIORITY[f.type]))
    kept: list[PiiFinding] = []
    for finding in candidates:
        if kept and finding.start < kept[-1].end:
            continue
        kept.append(finding)
    return kept


# Masking -----------------------------------------------------------------------

_PHONE_PARTS = re.compile(
    r"(?P<head>\+82[-. ]?(?:\(0\)|0)?\d{1,2}|\(?0\d{1,2}\)?)(?P<sep1>[-. )]*)(?P<mid>\d{3,4})(?P<sep2>[-. ]*)(?P<last>\d{4})"
)


def pii_mask(finding: PiiFinding) -> str:
    """A form of the finding safe to show and to store: enough to recognise it, not enough to use it."""
    text = finding.text
    if finding.type == EMAIL:
        at = re.search(r"@|\s?[\[(](?:at|AT|골뱅이)[\])]\s?", text)
        local, rest = text[: at.start()], text[at.start() :]
        keep = 2 if len(local) > 3 else 1
        return local[:keep] + "*" * (len(local) - keep) + rest
    if finding.type == RRN:
        keep = 8 if not text[6].isdigit() else 7  # the birth date and the gender digit, as forms show them
        return text[:keep] + "".join("*" if c.isdigit() else c for c in text[keep:])
    parts = _PHONE_PARTS.fullmatch(text.translate(_FOLD))
    if parts is None:
        return re.sub(r"\d(?=\d{4})", "*", text)
    mid_start, mid_end = parts.span("mid")
    return text[:mid_start] + "*" * (mid_end - mid_start) + text[mid_end:]


# Scoring -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PiiScore:
    """Precision and recall over labelled texts: a finding counts when its type and exact text are expected."""

    true_positives: int
    false_positives: int
    false_negatives: int
    misses: list[dict]  # {"text", "missing": [...], "unexpected": [...]} for every text scored wrongly

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def pii_score(items) -> PiiScore:
    """`items`: dicts with `text` and `expected` (a list of {"type", "text"}), as in tests/data/pii_corpus.json."""
    tp = fp = fn = 0
    misses = []
    for item in items:
        found = Counter((f.type, f.text) for f in pii_scan_text(item["text"]))
        expected = Counter((e["type"], e["text"]) for e in item["expected"])
        missing, unexpected = expected - found, found - expected
        tp += sum((found & expected).values())
        fp += sum(unexpected.values())
        fn += sum(missing.values())
        if missing or unexpected:
            misses.append({"text": item["text"], "missing": sorted(missing), "unexpected": sorted(unexpected)})
    return PiiScore(tp, fp, fn, misses)
