import pytest

from cases.models import CaseOutcomeIndicator, ShowcaseIndexPage, ShowcaseItem, ShowcasePage
from tests.factories import make_case, make_user

pytestmark = pytest.mark.django_db


def make_showcase(cases, title="스마트 교통 우수사례"):
    showcase = ShowcasePage(title=title, slug="smart-traffic", intro="## 소개\n우수사례 모음")
    showcase.items = [ShowcaseItem(case=case, note=f"메모 {i}", sort_order=i) for i, case in enumerate(cases)]
    ShowcaseIndexPage.objects.get().add_child(instance=showcase)
    showcase.save_revision().publish()
    return showcase


def test_home_lists_public_cases_only(client):
    make_case(title="공개 교통 사례")
    make_case(title="회원 전용 사례", visibility="members")
    make_case(title="초안 사례", publish=False)
    html = client.get("/").content.decode()
    assert "공개 교통 사례" in html and "회원 전용 사례" not in html and "초안 사례" not in html
    client.force_login(make_user())
    html = client.get("/").content.decode()
    assert "회원 전용 사례" in html and "초안 사례" not in html


def test_case_page_shows_facts_at_a_glance(client):
    case = make_case(
        place_code="41110",
        budget_total=1_250_000_000,
        budget_national=600_000_000,
        budget_local=650_000_000,
        contact_name="스마트도시과",
        contact_email="smart@example.go.kr",
        end_year=2026,
    )
    CaseOutcomeIndicator.objects.create(page=case, label="대기시간", value="23", unit="% 감소")
    html = client.get(case.url).content.decode()
    for expected in (
        "한눈에 보기",
        "경기도 수원시",
        "도시·교통",
        "AI",
        "실증",
        "2024 – 2026",
        "12억 5,000만 원",
        "6억 원",
        "대기시간",
        "23% 감소",
        "smart@example.go.kr",
    ):
        assert expected in html, expected


def test_case_list_filters(client):
    make_case(title="수원 교통", place_code="41110", sector="urban-transport")
    make_case(title="부산 안전", place_code="26350", sector="safety", technologies=("drones",))
    html = client.get("/cases/?region=26000").content.decode()
    assert "부산 안전" in html and "수원 교통" not in html
    html = client.get("/cases/?technology=drones&sector=safety").content.decode()
    assert "부산 안전" in html and "수원 교통" not in html
    assert client.get("/cases/?page=999&sector=nope").status_code == 200


def test_showcase_shows_its_cases_in_order_and_hides_what_the_viewer_cannot_open(client):
    first, second = make_case(title="첫째 사례"), make_case(title="둘째 사례")
    hidden = make_case(title="회원 사례", visibility="members")
    showcase = make_showcase([second, hidden, first])
    html = client.get(showcase.url).content.decode()
    assert html.index("둘째 사례") < html.index("첫째 사례") and "회원 사례" not in html
    assert "<h2>소개</h2>" in html and "메모 0" in html
    assert showcase.title in client.get("/showcases/").content.decode()
    assert showcase.title in client.get(second.url).content.decode()


def test_unknown_pages_are_404_not_500(client):
    assert client.get("/cases/no-such-case/").status_code == 404
    assert client.get("/cases/no-such-case/logs/new/").status_code == 404
