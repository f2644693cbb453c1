"""The English catalogue is complete, its compiled .mo matches the .po, and pages render their interface in English."""

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

LOCALE_DIR = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
PO_PATH = LOCALE_DIR / "django.po"
MO_PATH = LOCALE_DIR / "django.mo"
HANGUL = re.compile(r"[\uac00-\ud7a3]")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]")
ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}
KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+\"(.*)\"$")


def unquote(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), m.group(0)), text)


def po_entries(path: Path = PO_PATH) -> list[dict]:
    """Each active entry of a .po as {'msgctxt'?, 'msgid', 'msgid_plural'?, 'msgstr' | 'msgstr[n]', 'flags'}."""
    entries, entry, field = [], None, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = line.strip()
        if not line:
            if entry and "msgid" in entry:
                entries.append(entry)
            entry, field = None, None
            continue
        if line.startswith("#~"):  # obsolete entries are not part of the catalogue
            entry = {"obsolete": True}
            continue
        entry = entry if entry is not None else {"flags": set()}
        if entry.get("obsolete"):
            continue
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif match := KEYWORD.match(line):
            field = match.group(1)
            entry[field] = unquote(match.group(2))
        elif line.startswith('"') and field:
            entry[field] += unquote(line[1:-1])
    return entries


def catalogue_key(entry: dict) -> str:
    return f"{entry['msgctxt']}\x04{entry['msgid']}" if "msgctxt" in entry else entry["msgid"]


def translations(entry: dict) -> list[str]:
    return [value for field, value in sorted(entry.items()) if field.startswith("msgstr")]


def mo_catalogue(path: Path) -> dict:
    with path.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)


def test_every_entry_is_translated_and_none_is_fuzzy():
    entries = po_entries()
    assert len(entries) > 100, "the catalogue looks empty; run `make messages`"
    header = [e for e in entries if e["msgid"] == ""]
    assert len(header) == 1 and "fuzzy" not in header[0]["flags"], "the header is missing or still fuzzy"
    messages = [e for e in entries if e["msgid"] != ""]
    untranslated = [catalogue_key(e) for e in messages if not all(translations(e)) or not translations(e)]
    fuzzy = [catalogue_key(e) for e in messages if "fuzzy" in e["flags"]]
    assert not untranslated, f"untranslated: {untranslated}"
    assert not fuzzy, f"fuzzy: {fuzzy}"
    for e in messages:
        if "msgid_plural" in e:
            assert {k for k in e if k.startswith("msgstr")} == {"msgstr[0]", "msgstr[1]"}, catalogue_key(e)


def test_translations_keep_their_placeholders_and_leave_no_korean():
    for e in po_entries():
        if e["msgid"] == "":
            continue
        expected = sorted(PLACEHOLDER.findall(e["msgid"]))
        for value in translations(e):
            assert sorted(PLACEHOLDER.findall(value)) == expected, (e["msgid"], value)
            assert not HANGUL.search(value), (e["msgid"], value)


def test_compiled_catalogue_matches_the_po():
    """A .mo compiled before the last .po edit fails here: run `manage.py compilemessages -l en`."""
    assert MO_PATH.exists(), "locale/en/LC_MESSAGES/django.mo is missing"
    compiled = mo_catalogue(MO_PATH)
    expected = {}
    for e in po_entries():
        if e["msgid"] == "" or "fuzzy" in e["flags"]:
            continue
        if "msgid_plural" in e:
            for field, value in e.items():
                if field.startswith("msgstr["):
                    expected[(catalogue_key(e), int(field[7:-1]))] = value
        else:
            expected[catalogue_key(e)] = e["msgstr"]
    compiled.pop("", None)
    assert compiled == expected


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt is not installed")
def test_po_compiles_cleanly_to_the_committed_mo(tmp_path):
    fresh = tmp_path / "django.mo"
    result = subprocess.run(["msgfmt", "--check", "-o", str(fresh), str(PO_PATH)], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and not result.stderr, result.stderr
    assert mo_catalogue(fresh) == mo_catalogue(MO_PATH), "django.mo is stale: run `manage.py compilemessages -l en`"


def test_known_messages_translate():
    with translation.override("en"):
        assert translation.gettext("[가치허브] 가입이 승인되었습니다") == "[Gachi Hub] Your account has been approved"
        assert translation.gettext("가치허브") == "Gachi Hub"
        assert translation.pgettext("account", "가입 신청") == "Sign up"


def test_money_reads_in_won_units_in_korean_and_in_full_in_english():
    from hub.templatetags.hub_tags import won

    with translation.override("ko"):
        assert won(1_250_000_000) == "12억 5,000만 원"
    with translation.override("en"):
        assert won(1_250_000_000) == "KRW 1,250,000,000" and won(35_000_000) == "KRW 35,000,000"


def english(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.mark.django_db
def test_login_page_renders_in_english(client):
    page = english(client).get(reverse("hub:login")).content.decode()
    assert '<html lang="en">' in page
    assert '<button type="submit">Log in</button>' in page
    assert "Don't have an account?" in page or "Don&#x27;t have an account?" in page
    for korean in ("로그인", "가입 신청", "계정이 없으신가요?", "비밀번호", "본문으로 건너뛰기"):
        assert korean not in page, korean


@pytest.mark.django_db
def test_login_page_stays_korean_by_default(client):
    page = client.get(reverse("hub:login")).content.decode()
    assert '<button type="submit">로그인</button>' in page and "Log in" not in page


@pytest.mark.django_db
def test_home_page_renders_its_interface_in_english(client):
    page = english(client).get("/").content.decode()
    for text in ("Skip to main content", "Case studies", "Project log", "Communities", "Showcases", "Log in", "Sign up"):
        assert text in page, text
    for korean in ("본문으로 건너뛰기", "로그인", "프로젝트 로그", "쇼케이스", "최근 사례"):
        assert korean not in page, korean
    # The brand mark and the language switch's own name for Korean are the only Korean left on an empty home page.
    leftover = HANGUL.findall(page.replace('aria-hidden="true">가치<', "").replace(">한국어<", ""))
    assert not leftover, "".join(leftover)
