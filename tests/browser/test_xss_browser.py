"""The XSS corpus, written through the real forms and read back in Chromium: nothing may run.

alert/confirm/prompt/print are replaced before any page script runs and record into `window.__xss`; a dialog
listener catches anything that slips past; the browser's own parse of the rendered posts is checked for scripts,
event handlers and non-http(s) links.
"""

import time

import pytest
from playwright.sync_api import expect

from tests.xss import payloads

from .conftest import login

pytestmark = pytest.mark.browser

HOOK = """
window.__xss = [];
for (const name of ["alert", "confirm", "prompt", "print"]) {
    window[name] = function (...args) { window.__xss.push(name + ": " + String(args[0])); };
}
"""
POSTS = 4
SAFE_PROTOCOLS = ["http:", "https:", "mailto:"]
# What a browser could run inside rendered user content, as the browser itself parsed it.
FIND_EXECUTABLE = """
(root, safe) => {
    const found = [];
    for (const element of root.querySelectorAll("*")) {
        if (["SCRIPT", "IFRAME", "OBJECT", "EMBED", "FRAME", "BASE", "META", "FORM", "STYLE", "LINK"].includes(element.tagName)) {
            found.push("<" + element.tagName.toLowerCase() + ">");
        }
        for (const attribute of element.attributes) {
            if (attribute.name.startsWith("on") || attribute.name === "srcdoc") found.push(element.tagName + "[" + attribute.name + "]");
        }
        if ((element.tagName === "A" || element.tagName === "AREA") && element.getAttribute("href") !== null
            && !safe.includes(element.protocol)) found.push("a[href=" + element.getAttribute("href") + "]");
    }
    return found;
}
"""


def chunks(items: list[str], count: int) -> list[list[str]]:
    return [items[i::count] for i in range(count)]


@pytest.fixture
def hooked_page(page):
    dialogs: list[str] = []
    page.add_init_script(HOOK)
    page.on("dialog", lambda dialog: (dialogs.append(f"{dialog.type}: {dialog.message}"), dialog.dismiss()))
    page.dialogs = dialogs
    return page


def assert_nothing_ran(page, where: str) -> None:
    page.wait_for_timeout(300)  # let image errors, animations and timers fire
    assert page.evaluate("window.__xss") == [], f"{where}: script ran"
    assert page.dialogs == [], f"{where}: dialogs opened"
    found = [
        problem for body in page.locator(".post__body, .md-preview").all() for problem in body.evaluate(FIND_EXECUTABLE, SAFE_PROTOCOLS)
    ]
    assert not found, f"{where}: executable parts in rendered content: {found}"


def test_xss_corpus_in_community_posts_runs_nothing(hooked_page, demo):
    page = hooked_page
    started = time.monotonic()
    corpus = payloads()
    assert len(corpus) >= 30
    # A community other than the one the accessibility and reading tests look at.
    busy = {demo.community_with_feed()[0]["slug"], demo.memberships()[0][1]["slug"]}
    member, community = next(((a, c) for a, c in demo.memberships() if c["slug"] not in busy), demo.memberships()[-1])
    login(page, member["email"], member["password"])
    community_path = f"/communities/{community['slug']}/"

    # The preview renders through innerHTML: the most direct way for a sanitiser miss to run.
    page.goto(f"{community_path}posts/new/")
    page.get_by_label("내용").fill("\n\n".join(corpus))
    page.get_by_role("button", name="미리보기").click()
    expect(page.locator(".md-preview")).to_be_visible()
    expect(page.locator(".md-preview")).not_to_contain_text("미리보기를 불러오지 못했습니다")
    assert_nothing_ran(page, "preview")

    titles = [p for p in corpus if len(p) <= 200][:POSTS]
    for index, bodies in enumerate(chunks(corpus, POSTS)):
        page.goto(f"{community_path}posts/new/")
        page.get_by_label("제목").fill(titles[index])
        page.get_by_label("내용").fill("\n\n".join(bodies))
        page.get_by_role("button", name="저장").click()
        expect(page.get_by_role("status")).to_contain_text("글을 올렸습니다")
        assert_nothing_ran(page, f"post {index}")
        # A reply on the post, carrying one payload per line.
        page.get_by_label("댓글", exact=True).fill("\n".join(bodies[:10]))
        page.get_by_role("button", name="댓글 달기").click()
        expect(page.get_by_role("status")).to_contain_text("댓글을 달았습니다")
        assert_nothing_ran(page, f"reply {index}")

    page.goto(community_path)
    expect(page.locator("article.post")).not_to_have_count(0)
    assert_nothing_ran(page, "community feed")
    page.context.clear_cookies()
    page.goto(community_path)
    assert_nothing_ran(page, "community feed, signed out")
    assert page.url.endswith(community_path), f"navigated away to {page.url}"
    assert time.monotonic() - started < 30
