"""The dashboards in a real browser: no serious or critical axe violations, and the figures read without JavaScript."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from .conftest import login
from .test_accessibility import assert_accessible

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def axe():
    return Axe()


def test_curator_dashboard_is_accessible(page, axe, demo):
    curator = demo.account("curator")
    login(page, curator["email"], curator["password"])
    assert_accessible(axe, page, "/dashboard/")
    heatmap = page.get_by_role("table", name="시도 × 분야별 사례 수")
    assert heatmap.get_by_role("rowheader", name="서울특별시").is_visible()
    assert page.locator("[data-figure=cases]").inner_text() == str(len(demo.cases))
    adoptions = len(demo.activity["adoptions"])
    assert page.locator("[data-figure=adoptions]").inner_text() == str(adoptions)
    page.get_by_text("표로 보기").first.click()
    assert page.get_by_role("table", name="시작 연도별 사례 수", exact=True).is_visible()


def test_public_summary_is_accessible_and_counts_public_cases(page, axe, demo):
    assert_accessible(axe, page, "/dashboard/summary/")
    public = [case for case in demo.cases if demo.is_public(case)]
    assert page.locator("[data-figure=cases]").inner_text() == str(len(public))
    assert page.get_by_role("link", name="대시보드").count() == 0


def test_case_page_with_the_adoption_form_is_accessible(page, axe, demo):
    official, _own = demo.official_with_case()
    other = next(case for case in demo.cases if demo.is_public(case) and not demo.involves(official, case))
    login(page, official["email"], official["password"])
    assert_accessible(axe, page, f"/cases/{other['key']}/")
    assert page.get_by_role("button", name="우리 지자체도 도입했어요").is_visible()
