"""The curators' dashboard and the public summary: every figure against direct database counts (and search), access,
filters, CSV downloads, and a query count that does not grow with the data."""

import csv
import datetime
import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from cases.importing import foreign_city_get_or_create
from cases.models import Adoption, CaseStudyPage, Sector, Stage, Technology
from cases.services import adoption_record
from communities.models import CommunityPage, CommunityPost, Membership
from communities.services import post_create
from hub.dashboard import FOREIGN, DashboardFilters, dashboard_build
from hub.models import Place
from search.indexing import index_rebuild
from search.service import SearchFilters, SearchRequest, search
from tests.factories import add_member, make_case, make_community, make_user

pytestmark = pytest.mark.django_db

DASHBOARD_MAX_QUERIES = 30


def published(*, public: bool):
    cases = CaseStudyPage.objects.live()
    return cases.filter(visibility="public") if public else cases


def in_province(cases, province: Place):
    return cases.filter(Q(lead_place=province) | Q(lead_place__parent=province))


def page_cells(html: str) -> dict[str, int]:
    """data-cell="<row>/<column>" → the number shown in that cell (inside a link or not)."""
    return {key: int(value) for key, value in re.findall(r'data-cell="([^"]+)">(?:<a [^>]*>)?(\d+)', html)}


def page_figures(html: str) -> dict[str, int]:
    return {key: int(value) for key, value in re.findall(r'data-figure="([^"]+)">(\d+)<', html)}


def assert_figures_equal_the_database(dashboard, *, public: bool) -> None:
    cases = published(public=public)
    provinces = list(Place.objects.korean().provinces())
    sectors = list(Sector.objects.all())
    assert dashboard.case_count == cases.count()
    rows = {row.key: row for row in dashboard.heatmap.rows}
    assert set(rows) - {FOREIGN} == {p.code for p in provinces}
    for province in provinces:
        for i, sector in enumerate(sectors):
            assert rows[province.code].cells[i].count == in_province(cases, province).filter(sector=sector).count(), (province, sector)
        assert rows[province.code].total == in_province(cases, province).count()
    foreign = cases.exclude(lead_place__country="KR").count()
    assert (rows[FOREIGN].total if FOREIGN in rows else 0) == foreign
    assert dashboard.heatmap.column_totals == [cases.filter(sector=s).count() for s in sectors]
    assert dashboard.province_count == sum(1 for p in provinces if in_province(cases, p).exists())

    years = {int(bar.key): bar.count for bar in dashboard.by_year.bars}
    assert years == {year: cases.filter(start_year=year).count() for year in range(min(years), max(years) + 1)}
    assert sum(years.values()) == cases.count()
    assert {bar.key: bar.count for bar in dashboard.by_stage.bars} == {s.slug: cases.filter(stage=s).count() for s in Stage.objects.all()}

    trend = dashboard.technology_trend
    for row in trend.rows:
        assert [cell.count for cell in row.cells] == [cases.filter(technologies=row.technology, start_year=y).count() for y in trend.years]
    used = {t.slug for t in Technology.objects.filter(cases__in=cases).distinct()}
    assert {row.technology.slug for row in trend.rows} == used

    adoptions = Adoption.objects.filter(source_case__in=cases)
    assert dashboard.network.edge_count == adoptions.count()
    counts = sorted((adoptions.filter(source_case=c).count() for c in cases.filter(adoptions__isnull=False).distinct()), reverse=True)
    assert [item.count for item in dashboard.most_adopted] == counts[:10]
    for item in dashboard.most_adopted:
        assert item.count == Adoption.objects.filter(source_case=item.case).count()

    for gap in dashboard.gaps:
        expected = {p.code for p in provinces if not in_province(cases, p).filter(sector=gap.sector).exists()}
        assert {p.code for p in gap.provinces} == expected, gap.sector

    communities = CommunityPage.objects.live()
    if public:
        communities = communities.filter(post_visibility="public")
    assert {row.community.pk for row in dashboard.activity.rows} == set(communities.values_list("pk", flat=True))
    shown = CommunityPost.objects.filter(is_hidden=False)
    for row in dashboard.activity.rows:
        posts = shown.filter(community=row.community)
        assert row.topics == posts.filter(parent=None).count() and row.replies == posts.exclude(parent=None).count()
        assert row.active_members == len(set(posts.values_list("author_id", flat=True)))
        assert row.members == Membership.objects.filter(community=row.community, status="active").count()
    every_post = shown.filter(community__in=communities)
    assert dashboard.activity.active_members == len(set(every_post.values_list("author_id", flat=True)))


def test_every_figure_equals_direct_database_counts_on_the_demo(client, django_assert_max_num_queries):
    call_command("load_demo", stdout=io.StringIO())
    curator = make_user(role="curator")
    full = dashboard_build(filters=DashboardFilters(), public=False)
    summary = dashboard_build(filters=DashboardFilters(), public=True)
    assert_figures_equal_the_database(full, public=False)
    assert_figures_equal_the_database(summary, public=True)
    # The demo has members-only cases and an adoption of one: the summary leaves them out, the curators' view not.
    members_only = published(public=False).filter(visibility="members")
    assert members_only.exists() and summary.case_count == full.case_count - members_only.count()
    assert Adoption.objects.filter(source_case__in=members_only).exists()
    assert summary.network.edge_count < full.network.edge_count == Adoption.objects.count() > 0
    assert full.most_adopted[0].count >= 2  # demo: several places adopted the same case

    # The pages show the same numbers, within a bounded number of queries.
    client.force_login(curator)
    with django_assert_max_num_queries(DASHBOARD_MAX_QUERIES):
        html = client.get("/dashboard/").content.decode()
    cells = page_cells(html)
    sectors = list(Sector.objects.all())
    for row in full.heatmap.rows:
        for sector, cell in zip(sectors, row.cells, strict=True):
            assert cells[f"{row.key}/{sector.slug}"] == cell.count
        assert cells[f"{row.key}/total"] == row.total
    assert cells["total"] == CaseStudyPage.objects.live().count()
    assert page_figures(html) == {
        "cases": full.case_count,
        "provinces": full.province_count,
        "adoptions": Adoption.objects.count(),
        "active-members": full.activity.active_members,
    }
    client.logout()
    with django_assert_max_num_queries(DASHBOARD_MAX_QUERIES):
        public_html = client.get("/dashboard/summary/").content.decode()
    assert page_figures(public_html)["cases"] == published(public=True).count()
    for case in members_only:
        assert case.title not in public_html
    for case in members_only.filter(adoptions__isnull=False):
        assert case.title in html  # in the curators' network and most-adopted list


def test_counts_per_region_and_sector_equal_search_on_the_demo(search_sqlite):
    call_command("load_demo", stdout=io.StringIO())
    index_rebuild()
    curator = make_user(role="curator")
    from django.contrib.auth.models import AnonymousUser

    for public, viewer in ((False, curator), (True, AnonymousUser())):
        dashboard = dashboard_build(filters=DashboardFilters(), public=public)

        def total(viewer=viewer, **filters):
            return search(SearchRequest(filters=SearchFilters(type="case", **filters)), viewer=viewer).total

        assert dashboard.case_count == total()
        for row in dashboard.heatmap.rows:
            if row.key != FOREIGN:
                assert row.total == total(region=row.key), (public, row.label)
        for sector, count in zip(dashboard.heatmap.sectors, dashboard.heatmap.column_totals, strict=True):
            assert count == total(sector=sector.slug), (public, sector)
        for bar in dashboard.by_year.bars:
            assert bar.count == total(year=int(bar.key)), (public, bar.key)
        for bar in dashboard.by_stage.bars:
            assert bar.count == total(stage=bar.key), (public, bar.key)
        for row in dashboard.technology_trend.rows:
            assert row.total == total(technology=row.technology.slug), (public, row.technology)


# Small data, made with factories --------------------------------------------------------------------------------------


@pytest.fixture
def curator():
    return make_user(role="curator")


@pytest.mark.parametrize("path", ["/dashboard/", "/dashboard/export/regions.csv"])
def test_only_curators_open_the_dashboard(client, curator, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=/dashboard/")
    for role in ("member", "official", "pending"):
        client.force_login(make_user(role=role))
        assert client.get(path).status_code == 403, role
    client.force_login(curator)
    assert client.get(path).status_code == 200


def test_header_links_curators_to_the_dashboard_and_everyone_to_the_summary(client, curator):
    html = client.get("/").content.decode()
    assert 'href="/dashboard/summary/"' in html and 'href="/dashboard/"' not in html
    client.force_login(curator)
    assert 'href="/dashboard/"' in client.get("/").content.decode()


def test_the_summary_counts_public_published_cases_only(client):
    make_case(place_code="41110", title="수원 공개 사례", sector="tourism")
    make_case(place_code="41110", title="수원 회원 사례", sector="tourism", visibility="members")
    make_case(place_code="41110", title="수원 초안 사례", sector="tourism", publish=False)
    html = client.get("/dashboard/summary/").content.decode()
    assert page_cells(html)["41000/tourism"] == 1 and page_figures(html)["cases"] == 1
    client.force_login(make_user(role="curator"))
    assert page_cells(client.get("/dashboard/").content.decode())["41000/tourism"] == 2


def test_an_adoption_shows_on_both_cases_and_in_the_dashboard_counts(client, curator):
    source = make_case(place_code="26350", title="해운대 관광 데이터", sector="tourism")
    own = make_case(place_code="41110", title="수원 관광 데이터", sector="tourism")
    client.force_login(make_user(role="official", place_code="41110"))
    client.post(f"{source.url}adopt/", {"adopter_case": own.pk})
    client.force_login(make_user(role="official", place_code="11110"))
    client.post(f"{source.url}adopt/")
    assert "경기도 수원시" in client.get(source.url).content.decode()
    assert "부산광역시 해운대구" in client.get(own.url).content.decode()
    dashboard = dashboard_build(filters=DashboardFilters(), public=False)
    assert [(item.case, item.count) for item in dashboard.most_adopted] == [(source, 2)]
    assert dashboard.network.edge_count == 2
    assert [(edge.adopter_place.code, edge.adopter_case) for edge in dashboard.network.groups[0].edges] == [("11110", None), ("41110", own)]
    client.force_login(curator)
    html = client.get("/dashboard/").content.decode()
    assert page_figures(html)["adoptions"] == 2
    assert re.search(rf'data-case="{source.key}">.*?</svg> 2</td>', html, re.S)
    assert "부산광역시 해운대구 → <strong>경기도 수원시</strong>" in html and f'href="{own.url}"' in html
    rows = list(csv.reader(io.StringIO(client.get("/dashboard/export/most-adopted.csv").content.decode("utf-8-sig"))))
    assert rows == [["순위", "사례", "주관 지자체", "도입 지자체 수"], ["1", source.title, "부산광역시 해운대구", "2"]]


def test_filters_narrow_every_figure(client, curator):
    make_case(place_code="41110", sector="urban-transport", start_year=2020, technologies=("ai",))
    make_case(place_code="26350", sector="tourism", start_year=2022, technologies=("big-data",))
    make_case(place_code="11000", sector="tourism", start_year=2023, technologies=("big-data", "ai"))
    helsinki = foreign_city_get_or_create("FI", "Helsinki")
    make_case(place_code=helsinki.code, sector="tourism", start_year=2015, technologies=("digital-twin",))
    tourism = Sector.objects.get(slug="tourism")

    everything = dashboard_build(filters=DashboardFilters(), public=False)
    assert everything.case_count == 4 and [row.key for row in everything.heatmap.rows][-1] == FOREIGN
    assert [bar.key for bar in everything.by_year.bars] == [str(y) for y in range(2015, 2024)]  # the empty years are zeros

    by_sector = dashboard_build(filters=DashboardFilters(sector=tourism), public=False)
    assert by_sector.heatmap.sectors == [tourism] and by_sector.case_count == 3
    gap = {p.code for p in by_sector.gaps[0].provinces}
    assert len(gap) == 15 and not {"26000", "11000"} & gap

    period = dashboard_build(filters=DashboardFilters(year_from=2021, year_to=2022), public=False)
    assert period.case_count == 1 and [bar.key for bar in period.by_year.bars] == ["2022"]
    assert period.technology_trend.years == [2022] and [r.technology.slug for r in period.technology_trend.rows] == ["big-data"]

    # The page: the same filters through GET, and cells link to the same cases in search when search can say it.
    client.force_login(curator)
    html = client.get("/dashboard/", {"sector": "tourism", "year_from": 2022, "year_to": 2022}).content.decode()
    assert page_cells(html) == {"26000/tourism": 1, **{k: v for k, v in page_cells(html).items() if k != "26000/tourism"}}
    assert page_figures(html)["cases"] == 1
    assert 'href="/search/?type=case&amp;region=26000&amp;sector=tourism&amp;year=2022"' in html
    html = client.get("/dashboard/", {"year_from": 2015, "year_to": 2023}).content.decode()
    assert "/search/?type=case&amp;region=41000" not in html  # a range of years is not a search filter: no link
    rows = list(csv.reader(io.StringIO(client.get("/dashboard/export/regions.csv?sector=tourism").content.decode("utf-8-sig"))))
    assert rows[0] == ["시도", "관광", "합계"] and ["부산광역시", "1", "1"] in rows and ["해외", "1", "1"] in rows
    assert rows[-1] == ["합계", "3", "3"]


def test_activity_counts_topics_replies_and_active_members_in_the_period(client, curator):
    community = make_community(title="AI 교통")
    closed = make_community(title="비공개 모임", post_visibility="community")
    people = [make_user() for _ in range(3)]
    for person in people:
        add_member(community, person)
    add_member(closed, people[0])
    at = lambda day: datetime.datetime(2025, 3, day, 10, tzinfo=datetime.UTC)  # noqa: E731
    topic = post_create(community=community, author=people[0], title="질문", body="신호 협의", created_at=at(1))
    post_create(community=community, author=people[1], body="답변", parent=topic, created_at=at(2))
    hidden = post_create(community=community, author=people[2], body="광고", parent=topic, created_at=at(3))
    CommunityPost.objects.filter(pk=hidden.pk).update(is_hidden=True)
    post_create(community=community, author=people[0], title="후속", body="결과 공유", created_at=at(20))
    post_create(community=closed, author=people[0], title="내부", body="회의록", created_at=at(2))

    def rows(**filters):
        activity = dashboard_build(filters=DashboardFilters(**filters), public=False).activity
        return {r.community.title: (r.members, r.topics, r.replies, r.active_members) for r in activity.rows}, activity

    everything, activity = rows()
    assert everything == {"AI 교통": (3, 2, 1, 2), "비공개 모임": (1, 1, 0, 1)}
    assert (activity.topics, activity.replies, activity.active_members) == (3, 1, 2)
    early, activity = rows(activity_from=datetime.date(2025, 3, 1), activity_to=datetime.date(2025, 3, 2))
    assert early["AI 교통"] == (3, 1, 1, 2) and activity.topics == 2
    summary = dashboard_build(filters=DashboardFilters(), public=True).activity
    assert [r.community.title for r in summary.rows] == ["AI 교통"]  # community-only posts are not counted in public
    html = client.get("/dashboard/summary/", {"activity_from": "2025-03-10"}).content.decode()
    assert re.search(rf'data-community="{community.slug}">.*?<td>3</td><td>1</td><td>0</td><td>1</td>', html)


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ({"sector": "nope"}, "sector"),
        ({"year_from": "abc"}, "year_from"),
        ({"year_from": "2024", "year_to": "2020"}, "year_to"),
        ({"activity_from": "2025-13-01"}, "activity_from"),
        ({"activity_from": "2025-05-01", "activity_to": "2025-04-01"}, "activity_to"),
        ({"year_to": "99999999999999999999"}, "year_to"),
    ],
)
def test_bad_filters_are_a_400_naming_the_field(client, curator, query, problem):
    client.force_login(curator)
    response = client.get("/dashboard/", query)
    assert response.status_code == 400 and "필터 값이 올바르지 않습니다" in response.content.decode()
    assert problem in response.context["form"].errors
    response = client.get("/dashboard/summary/export/regions.csv", query)
    assert response.status_code == 400 and problem in response.content.decode()


def test_downloads_are_csv_attachments_and_unknown_tables_404(client, curator):
    make_case(place_code="41110", sector="tourism")
    client.force_login(curator)
    for name in ("regions", "years", "stages", "technologies", "most-adopted", "adoptions", "gaps", "communities"):
        response = client.get(f"/dashboard/export/{name}.csv")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv"), name
        assert response["Content-Disposition"] == f'attachment; filename="gachi-dashboard-{name}.csv"'
        assert response.content.startswith("\ufeff".encode())
    assert client.get("/dashboard/export/passwords.csv").status_code == 404
    assert client.get("/dashboard/summary/export/years.csv").status_code == 200


def test_the_number_of_queries_does_not_grow_with_the_data(client, curator):
    community = make_community()

    def add_data(n: int) -> None:
        for i in range(n):
            source = make_case(place_code="26350", sector="tourism", start_year=2018 + i, technologies=("ai", "iot"))
            adopter = make_user(role="official", place_code=("41110", "11110", "41130")[i % 3])
            adoption_record(source_case=source, user=adopter, adopter_case=make_case(place_code=adopter.member.place.code))
            add_member(community, adopter)
            post_create(community=community, author=adopter, title=f"글 {i}", body="내용")

    def queries() -> int:
        client.force_login(curator)
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/dashboard/").status_code == 200
        return len(captured)

    add_data(1)
    queries()  # the first request also fills caches (site root paths, labels) that later ones reuse
    few = queries()
    add_data(4)
    assert queries() == few <= DASHBOARD_MAX_QUERIES
