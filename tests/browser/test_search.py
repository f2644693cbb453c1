"""The search page and the header search box in Chromium, on the demo site: suggestions by keyboard, facets, axe."""

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from .test_accessibility import BLOCKING, assert_accessible

pytestmark = pytest.mark.browser

CROSSWALK = "seoul-gangnam-smart-crosswalk"
FIRST_QUERY_TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def axe():
    return Axe()


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def facet_link(page, name: str, label: str):
    """The link of one facet value, unfolding "더 보기" when the value is among the folded ones."""
    group = page.locator(f"section.facet[aria-labelledby=facet-{name}]")
    link = group.get_by_role("link", name=re.compile(rf"^{re.escape(label)} \d+\s*건"))
    if not link.is_visible() and group.locator("details summary").count():
        group.locator("details summary").click()
    return link


def active_option_text(page, box) -> str:
    return page.locator(f"#{box.get_attribute('aria-activedescendant')}").inner_text()


def test_suggestions_are_a_keyboard_combobox(page, demo):
    title = demo.case(CROSSWALK)["title"]
    page.goto("/")
    box = page.get_by_role("combobox", name="검색어")
    expect(box).to_have_attribute("aria-expanded", "false")
    listbox = page.locator(f"#{box.get_attribute('aria-controls')}")
    expect(listbox).to_have_attribute("role", "listbox")
    expect(listbox).to_be_hidden()

    box.focus()
    box.press_sequentially("스마트 횡단")
    # The demo server (runserver) loads the Korean analyser on its first query: several seconds on this machine.
    expect(box).to_have_attribute("aria-expanded", "true", timeout=FIRST_QUERY_TIMEOUT_MS)
    options = listbox.get_by_role("option")
    expect(options.filter(has_text=title)).to_have_count(1)
    expect(box).not_to_have_attribute("aria-activedescendant", re.compile("."))

    box.press("ArrowDown")
    first = options.first
    expect(first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    if options.count() > 1:
        box.press("ArrowDown")
        expect(options.nth(1)).to_have_attribute("aria-selected", "true")
        expect(first).to_have_attribute("aria-selected", "false")
        box.press("ArrowUp")
    expect(first).to_have_attribute("aria-selected", "true")
    # ArrowUp from the first option wraps to the last.
    box.press("ArrowUp")
    expect(options.last).to_have_attribute("aria-selected", "true")

    # Escape closes the list and leaves the text and the focus where they were.
    box.press("Escape")
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(listbox).to_be_hidden()
    expect(box).not_to_have_attribute("aria-activedescendant", re.compile("."))
    expect(box).to_have_value("스마트 횡단")
    expect(box).to_be_focused()

    # ArrowDown opens it again; Enter on an option opens that item.
    box.press("ArrowDown")
    expect(box).to_have_attribute("aria-expanded", "true")
    for _step in range(options.count()):
        if title in active_option_text(page, box):
            break
        box.press("ArrowDown")
    assert title in active_option_text(page, box)
    with page.expect_navigation():
        box.press("Enter")
    assert urlsplit(page.url).path == f"/cases/{CROSSWALK}/"
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def test_enter_without_a_chosen_option_searches_the_text(page, demo):
    page.goto("/")
    box = page.get_by_role("combobox", name="검색어")
    box.press_sequentially("미세먼지")
    expect(box).to_have_attribute("aria-expanded", "true", timeout=FIRST_QUERY_TIMEOUT_MS)
    with page.expect_navigation():
        box.press("Enter")
    assert urlsplit(page.url).path == "/search/" and query_of(page.url) == {"q": "미세먼지"}
    results = page.locator(".results .result__title a")
    expect(results.filter(has_text=demo.case("ulsan-nam-fine-dust-network")["title"])).to_have_count(1)
    expect(page.locator(".results mark").first).to_contain_text("미세먼지")


def test_facets_filter_by_click_and_chips_remove_them_by_keyboard(page):
    page.goto("/search/")
    expect(page.locator("section.facet[aria-labelledby=facet-municipality]")).to_have_count(0)
    with page.expect_navigation():
        facet_link(page, "region", "경기도").click()
    assert query_of(page.url) == {"region": "41000"}
    chip = page.locator(".active-filters a.chip--removable")
    expect(chip).to_have_count(1)
    expect(chip).to_contain_text("시도: 경기도")
    metas = page.locator(".results .result__meta").all_inner_texts()
    assert metas and all("경기도" in meta for meta in metas), metas

    municipality = page.locator("section.facet[aria-labelledby=facet-municipality]")
    with page.expect_navigation():
        facet_link(page, "municipality", "경기도 성남시").click()
    assert query_of(page.url) == {"region": "41000", "municipality": "41130"}
    metas = page.locator(".results .result__meta").all_inner_texts()
    assert metas and all("경기도 성남시" in meta for meta in metas), metas
    expect(municipality.locator("a[aria-current=true]")).to_contain_text("경기도 성남시")

    # The chip is a link: focus it and press Enter.
    page.locator(".active-filters a.chip--removable", has_text="시도: 경기도").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert query_of(page.url) == {}
    expect(page.locator(".active-filters")).to_have_count(0)


def test_search_pages_are_accessible(page, axe):
    assert_accessible(axe, page, "/search/")
    assert_accessible(axe, page, "/search/?q=스마트&region=41000&sort=newest")
    assert_accessible(axe, page, "/search/?q=스마트&region=26000&sector=agriculture-fisheries")
    assert_accessible(axe, page, "/search/?q=스마트&region=99999&page=abc")


def test_the_open_suggestion_list_is_accessible(page, axe):
    page.goto("/search/?q=스마트")
    box = page.get_by_role("combobox", name="검색어").and_(page.locator("main input"))
    box.fill("")
    box.press_sequentially("스마트")
    expect(box).to_have_attribute("aria-expanded", "true", timeout=FIRST_QUERY_TIMEOUT_MS)
    box.press("ArrowDown")
    violations = [v for v in axe.run(page).response["violations"] if v["impact"] in BLOCKING]
    assert not violations, [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]


def test_case_page_shows_similar_projects_with_reasons(page, demo):
    page.goto(f"/cases/{CROSSWALK}/")
    section = page.locator("section.similar")
    expect(section.get_by_role("heading", name="비슷한 프로젝트")).to_be_visible()
    items = section.locator(".similar__item")
    expect(items.first).to_be_visible()
    badges = items.locator(".badge").all_inner_texts()
    # Other regions come first.
    assert badges == sorted(badges, key=lambda badge: badge == "같은 지역"), badges
    reasons = items.first.locator(".similar__reasons li").all_inner_texts()
    assert reasons and all(re.match(r"^(분야|기술|공통 주제어): ", reason) for reason in reasons), reasons
