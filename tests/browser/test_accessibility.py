"""axe-core on the pages most people see: no "serious" or "critical" violations."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from .conftest import login

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="module")
def axe():
    return Axe()


def assert_accessible(axe, page, path: str) -> None:
    response = page.goto(path)
    assert response.status == 200, f"{path}: {response.status}"
    results = axe.run(page)
    violations = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
    report = "\n".join(
        f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})\n"
        + "\n".join(f"    {node['target']}: {node['html'][:200]}" for node in v["nodes"][:5])
        for v in violations
    )
    assert not violations, f"axe found {len(violations)} serious/critical violation(s) on {path}:\n{report}"


def test_home_page(page, axe):
    assert_accessible(axe, page, "/")


def test_case_page(page, axe, demo):
    _community, case, _post = demo.community_with_feed()
    assert_accessible(axe, page, f"/cases/{case['key']}/")


def test_community_page_anonymous(page, axe, demo):
    community, _case, _post = demo.community_with_feed()
    assert_accessible(axe, page, f"/communities/{community['slug']}/")


def test_community_page_as_member(page, axe, demo):
    member, community = demo.memberships()[0]
    login(page, member["email"], member["password"])
    assert_accessible(axe, page, f"/communities/{community['slug']}/")
