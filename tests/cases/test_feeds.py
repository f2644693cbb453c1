"""Atom feeds of new cases: overall, per sector and per 시도; public cases only; discoverable from the pages."""

import xml.etree.ElementTree as ET

import pytest
from bs4 import BeautifulSoup

from cases import feeds
from tests.factories import make_case

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def cases():
    """Oldest first, so the feeds list them the other way round."""
    return [
        make_case(key="suwon-crosswalk", title="수원 스마트 횡단보도", place_code="41110", sector="safety", technologies=("iot",)),
        make_case(key="gyeonggi-flood", title="경기 침수 경보", place_code="41000", sector="safety"),
        make_case(key="seoul-safe-road", title="종로 안심 귀갓길", place_code="11110", sector="safety"),
        make_case(
            key="gyeonggi-bus",
            title="경기 수요응답 버스",
            place_code="41130",
            sector="urban-transport",
            summary="<script>alert(1)</script> 버스",
        ),
        make_case(key="gyeonggi-members", title="경기 회원 공개 사업", place_code="41110", sector="safety", visibility="members"),
        make_case(key="gyeonggi-draft", title="경기 초안", place_code="41110", sector="safety", publish=False),
    ]


def read_feed(client, url: str) -> ET.Element:
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{required}") is not None
    return feed


def entry_titles(feed: ET.Element) -> list[str]:
    return [entry.find(f"{ATOM}title").text for entry in feed.findall(f"{ATOM}entry")]


def test_new_cases_feed_is_valid_atom_with_public_cases_newest_first(client, cases):
    feed = read_feed(client, "/cases/feed/")
    assert entry_titles(feed) == ["경기 수요응답 버스", "종로 안심 귀갓길", "경기 침수 경보", "수원 스마트 횡단보도"]
    entry = feed.findall(f"{ATOM}entry")[-1]
    assert entry.find(f"{ATOM}link").get("href") == "http://testserver/cases/suwon-crosswalk/"
    assert entry.find(f"{ATOM}id").text == "case:suwon-crosswalk"
    assert entry.find(f"{ATOM}updated") is not None and entry.find(f"{ATOM}published") is not None
    assert {c.get("term") for c in entry.findall(f"{ATOM}category")} == {"안전", "IoT"}
    assert "경기도 수원시 · 안전 · 실증" in entry.find(f"{ATOM}summary").text


def test_summaries_are_escaped_html(client, cases):
    bus = next(e for e in read_feed(client, "/cases/feed/").findall(f"{ATOM}entry") if e.find(f"{ATOM}title").text == "경기 수요응답 버스")
    summary = bus.find(f"{ATOM}summary")
    assert summary.get("type") == "html"
    assert "<script" not in summary.text and "&lt;script&gt;alert(1)&lt;/script&gt; 버스" in summary.text


def test_sector_and_region_feeds_filter(client, cases):
    assert entry_titles(read_feed(client, "/cases/feed/sector/safety/")) == ["종로 안심 귀갓길", "경기 침수 경보", "수원 스마트 횡단보도"]
    region = read_feed(client, "/cases/feed/region/41000/")
    # Led by the 시도 itself or by one of its 시군구.
    assert entry_titles(region) == ["경기 수요응답 버스", "경기 침수 경보", "수원 스마트 횡단보도"]
    assert "경기도" in region.find(f"{ATOM}title").text
    assert region.find(f"{ATOM}link").get("href") == "http://testserver/cases/?region=41000"
    assert entry_titles(read_feed(client, "/cases/feed/region/11000/")) == ["종로 안심 귀갓길"]
    assert entry_titles(read_feed(client, "/cases/feed/sector/tourism/")) == []


def test_feeds_hold_the_newest_only(client, cases, monkeypatch):
    monkeypatch.setattr(feeds, "CASE_FEED_SIZE", 2)
    assert entry_titles(read_feed(client, "/cases/feed/")) == ["경기 수요응답 버스", "종로 안심 귀갓길"]


@pytest.mark.parametrize(
    "url",
    ["/cases/feed/sector/no-such-sector/", "/cases/feed/region/41110/", "/cases/feed/region/99999/", "/cases/feed/region/FI:Helsinki/"],
)
def test_unknown_sector_or_region_is_404(client, url):
    assert client.get(url).status_code == 404


def feed_links(client, url: str) -> dict[str, str]:
    soup = BeautifulSoup(client.get(url).content, "html.parser")
    return {link["href"]: link["title"] for link in soup.select('head link[rel=alternate][type="application/atom+xml"]')}


def test_case_list_and_case_pages_point_to_their_feeds(client, cases):
    assert feed_links(client, "/cases/") == {"/cases/feed/": "새 사례"}
    assert feed_links(client, "/cases/?sector=safety&region=41000") == {
        "/cases/feed/": "새 사례",
        "/cases/feed/sector/safety/": "새 사례: 안전",
        "/cases/feed/region/41000/": "새 사례: 경기도",
    }
    assert feed_links(client, "/cases/?sector=bogus") == {"/cases/feed/": "새 사례"}
    assert feed_links(client, cases[0].url) == {
        "/cases/feed/": "새 사례",
        "/cases/feed/sector/safety/": "새 사례: 안전",
        "/cases/feed/region/41000/": "새 사례: 경기도",
    }
