"""The main journeys through the real site in Chromium: reading, logging a project, the community, curating."""

import datetime
import re
import time

import pytest
from playwright.sync_api import Page, expect

from .conftest import login

pytestmark = pytest.mark.browser


def facts(page: Page) -> dict[str, str]:
    """The case page's "한눈에 보기" list as {term: description}."""
    box = page.locator("aside.facts dl")
    terms, descriptions = box.locator("dt").all_inner_texts(), box.locator("dd").all_inner_texts()
    return {term.strip(): description.strip() for term, description in zip(terms, descriptions, strict=True)}


def korean_won(amount: int) -> str:
    """How the site writes money: 4600000000 → '46억 원', 35000000 → '3,500만 원'."""
    eok, man = amount // 100_000_000, amount % 100_000_000 // 10_000
    return " ".join([*([f"{eok:,}억"] if eok else []), *([f"{man:,}만"] if man else [])]) + " 원"


def open_case_from_home(page: Page, case: dict) -> None:
    title, sector = case["title"], case["sector"]
    page.goto("/")
    card = page.locator("#latest-cases ~ .grid .card").get_by_role("link", name=title, exact=True)
    if card.count() == 0:  # not among the newest: through its sector's list
        page.locator("#by-sector ~ .chips").get_by_role("link", name=re.compile(f"^{re.escape(sector)} \\(")).click()
        card = page.locator(".card").get_by_role("link", name=title, exact=True)
    card.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


# Reading ------------------------------------------------------------------------------------------------------------


def test_visitor_goes_from_home_to_a_case_and_on_to_its_community(page, demo):
    community, case, post = demo.community_with_feed()

    page.goto("/")
    expect(page.get_by_role("heading", name="최근 사례")).to_be_visible()
    expect(page.locator(".card").first).to_be_visible()
    open_case_from_home(page, case)

    shown = facts(page)
    assert case["municipality"] in shown["지역"] and case["region"] in shown["지역"]
    assert shown["단계"] == case["stage"]
    assert shown["분야"] == case["sector"]
    assert shown["기간"].startswith(str(case["start_year"]))
    if case.get("budget_total"):
        assert shown["총사업비"].startswith(korean_won(case["budget_total"])), shown
    expect(page.get_by_role("heading", name="프로젝트 로그")).to_be_visible()

    page.locator("aside.facts").get_by_role("link", name=community["title"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(community["title"])
    expect(page.get_by_text(post["title"]).first).to_be_visible()
    assert page.url.rstrip("/").endswith(community["slug"])


def test_visitor_finds_communities_through_the_main_menu(page, demo):
    community, _case, _post = demo.community_with_feed()
    page.goto("/")
    page.get_by_role("navigation", name="주 메뉴").get_by_role("link", name="커뮤니티").click()
    page.get_by_role("link", name=community["title"], exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(community["title"])


# Officials ----------------------------------------------------------------------------------------------------------


def test_official_writes_a_log_entry_that_changes_the_stage(page, demo):
    official, case = demo.official_with_case()
    login(page, official["email"], official["password"])
    open_case_from_home(page, case)
    before = facts(page)["단계"]

    page.get_by_role("link", name="프로젝트 로그 쓰기").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("프로젝트 로그 쓰기")
    title = f"브라우저에서 쓴 로그 {time.time_ns()}"
    page.get_by_label("날짜").fill(datetime.date.today().isoformat())
    page.get_by_label("종류").select_option(label="단계 변경")
    page.get_by_label("제목").fill(title)
    page.get_by_label("내용").fill("교차로 **12곳**으로 넓혔습니다.\n\n- 민원 감소")
    stage = page.get_by_label("새 단계")
    after = next(
        label for label in (o.strip() for o in stage.locator("option").all_inner_texts()) if label and label != before and "-" not in label
    )
    stage.select_option(label=after)
    page.get_by_role("button", name="저장").click()

    expect(page.get_by_role("status")).to_contain_text("프로젝트 로그를 남겼습니다")
    assert re.search(r"#log-\d+$", page.url), page.url
    entry = page.locator(f"#{page.url.rsplit('#', 1)[1]}")
    expect(entry.get_by_role("heading")).to_have_text(title)
    expect(entry.locator("strong").first).to_have_text(after)
    expect(entry.locator("strong", has_text="12곳")).to_be_visible()
    assert facts(page)["단계"] == after

    # Everyone sees it on the case's timeline, and in the site-wide log feed.
    page.context.clear_cookies()
    page.goto(page.url.split("#")[0])
    expect(page.locator("ol.timeline li h3", has_text=title)).to_be_visible()
    expect(page.get_by_role("link", name="프로젝트 로그 쓰기")).to_have_count(0)


def test_official_of_another_municipality_cannot_write_logs(page, demo):
    official, _own = demo.official_with_case()
    other = next(c for c in demo.cases if demo.is_public(c) and c["municipality"] and not demo.involves(official, c))
    login(page, official["email"], official["password"])
    page.goto(f"/cases/{other['key']}/")
    expect(page.get_by_role("link", name="프로젝트 로그 쓰기")).to_have_count(0)
    response = page.goto(f"/cases/{other['key']}/logs/new/")
    assert response.status == 403


# Curators -----------------------------------------------------------------------------------------------------------


def choose_case(page: Page, index: int, title: str) -> None:
    """Pick a case in the admin page chooser of the showcase's `index`th item."""
    page.locator(f"#id_items-{index}-case-chooser").get_by_role("button", name="페이지 선택").click()
    modal = page.locator(".modal.in")
    modal.get_by_role("textbox").first.fill(title)
    modal.locator("a.choose-page", has_text=title).first.click()
    expect(modal).to_have_count(0)
    expect(page.locator(f"#id_items-{index}-case-title")).to_have_text(title)


def showcase_index_admin_url(page: Page) -> str:
    page.goto("/admin/pages/")
    row = page.locator("tr", has=page.get_by_role("link", name="쇼케이스", exact=True))
    return row.locator("td.children a").get_attribute("href")


def test_curator_publishes_a_showcase_with_cases_in_order(page, demo):
    login(page, (curator := demo.account("curator"))["email"], curator["password"])
    chosen = [case["title"] for case in demo.cases if demo.is_public(case)][-1:-4:-1]

    page.goto(showcase_index_admin_url(page))
    page.get_by_role("link", name=re.compile("하위 페이지 추가|자식 페이지 추가")).first.click()
    expect(page).to_have_url(re.compile(r"/admin/pages/add/cases/showcasepage/\d+/$"))
    title = f"브라우저 쇼케이스 {time.time_ns()}"
    page.locator("#id_title").fill(title)
    page.locator("#id_intro").fill("큐레이터가 고른 **세 가지** 사례")
    for index, case_title in enumerate(chosen):
        if index:
            page.get_by_role("button", name="사례 추가").click()
        choose_case(page, index, case_title)
    page.get_by_role("button", name="더 많은 움직임").click()
    page.get_by_role("button", name="게시", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("게시")

    page.context.clear_cookies()
    page.goto("/showcases/")
    page.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator(".intro strong")).to_have_text("세 가지")
    expect(page.locator(".showcase-list .card h3")).to_have_text(chosen)


def test_official_cannot_add_or_edit_showcases(page, demo):
    login(page, (curator := demo.account("curator"))["email"], curator["password"])
    index_url = showcase_index_admin_url(page)
    index_id = re.search(r"/admin/pages/(\d+)/", index_url).group(1)
    page.goto(index_url)
    edit_urls = [link.get_attribute("href") for link in page.locator("td.title a[href$='/edit/']").all()]
    assert edit_urls, "the demo should have at least one showcase"
    page.context.clear_cookies()

    official, _case = demo.official_with_case()
    login(page, official["email"], official["password"])
    for url in (f"/admin/pages/add/cases/showcasepage/{index_id}/", edit_urls[0]):
        response = page.goto(url)
        # Wagtail answers a refused page permission with a redirect to the dashboard and a message.
        assert response.status == 403 or page.url.endswith("/admin/"), f"{url}: {response.status} {page.url}"
        if response.status != 403:
            expect(page.locator(".messages")).to_contain_text("권한이 없습니다")
    page.goto("/admin/pages/")
    expect(page.get_by_role("link", name="쇼케이스", exact=True)).to_have_count(0)


# Members in communities ---------------------------------------------------------------------------------------------


def open_community(page: Page, community: dict) -> None:
    page.goto("/")
    page.get_by_role("navigation", name="주 메뉴").get_by_role("link", name="커뮤니티").click()
    page.get_by_role("link", name=community["title"], exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(community["title"])


def test_member_writes_a_markdown_post_with_preview_and_replies(page, demo):
    member, community = demo.memberships()[0]
    login(page, member["email"], member["password"])
    open_community(page, community)

    page.get_by_role("link", name="글 쓰기").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("글 쓰기")
    title = f"브라우저에서 쓴 글 {time.time_ns()}"
    page.get_by_label("제목").fill(title)
    page.get_by_label("내용").fill("센서 배터리는 **2년**을 넘기지 못했습니다.\n\n- 겨울철 방전\n- 교체 비용")
    page.get_by_role("button", name="미리보기").click()
    preview = page.locator(".md-preview")
    expect(preview.locator("strong")).to_have_text("2년")
    expect(preview.locator("li")).to_have_text(["겨울철 방전", "교체 비용"])
    page.get_by_role("button", name="저장").click()

    expect(page.get_by_role("status")).to_contain_text("글을 올렸습니다")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator(".post__body strong")).to_have_text("2년")

    page.get_by_role("link", name=community["title"]).first.click()
    topic = page.locator("article.post", has=page.get_by_role("heading", name=title))
    expect(topic).to_be_visible()
    expect(topic.locator(".post__body li")).to_have_count(2)

    # Reply to someone else's demo post, from the feed.
    other = next(p for p in demo.posts if p["community"] == community["slug"] and p.get("title") and p["author"] != member["email"])
    other_topic = page.locator("article.post", has=page.get_by_role("heading", name=other["title"]))
    reply = f"저희도 같은 문제를 겪었습니다 ({time.time_ns()}). _참고하세요._"
    other_topic.get_by_label("댓글 쓰기").fill(reply)
    other_topic.get_by_role("button", name="댓글 달기").click()
    expect(page.get_by_role("status")).to_contain_text("댓글을 달았습니다")
    written = page.locator("ol.replies li", has_text="저희도 같은 문제를 겪었습니다")
    expect(written).to_be_visible()
    expect(written.locator("em")).to_have_text("참고하세요.")
    expect(written.locator(".meta")).to_contain_text(member["name"])


def test_member_joins_an_open_community_and_may_then_post(page, demo):
    member, _community = demo.memberships()[0]
    mine = {c["slug"] for a, c in demo.memberships() if a["email"] == member["email"]}
    community = next(c for c in demo.communities if c["join_policy"] == "open" and c["slug"] not in mine)
    login(page, member["email"], member["password"])
    open_community(page, community)
    expect(page.get_by_role("link", name="글 쓰기")).to_have_count(0)
    page.get_by_role("button", name="가입하기").click()
    expect(page.get_by_role("status")).to_contain_text("커뮤니티에 가입했습니다")
    expect(page.get_by_role("link", name="글 쓰기")).to_be_visible()
    expect(page.locator("section[aria-labelledby=members-heading]")).to_contain_text(member["name"])


def test_visitor_is_invited_to_sign_in_before_joining(page, demo):
    community, _case, _post = demo.community_with_feed()
    open_community(page, community)
    page.get_by_role("link", name="로그인하고 참여하기").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
