"""The curators' dashboard (/dashboard/) and its public summary (/dashboard/summary/): reads only.

Every figure counts the cases the search index holds — published ones; the public summary only the public ones —
so a number here equals what search answers for the same filters and what the database says. Each figure is one
or two aggregate queries whatever the amount of data (no query per row), and derived figures (gaps, totals) are
computed from those aggregates, never recounted.

The drawings (bar charts, sparklines, the adoption network) are plain geometry computed here and written as SVG by
the templates: no JavaScript, nothing downloaded, and every drawing has a table or list next to it saying the same.
"""

from __future__ import annotations

import datetime
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db import models
from django.db.models import Count, F, Q, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Adoption, CaseStudyPage, Sector, Stage, Technology
from cases.models.pages import Visibility
from communities.models import CommunityPage, CommunityPost, Membership
from hub.models import Place

HEAT_LEVELS = 5  # colour steps of the heatmaps (CSS classes heat-0 … heat-5)
MOST_ADOPTED_LIMIT = 10
FOREIGN = "foreign"  # the heatmap row of cases led by foreign cities, which belong to no 시도

# Drawing sizes (SVG user units; the drawings scale to the page width).
BAR_ROW, BAR_THICKNESS, BAR_LABEL_WIDTH, BAR_AREA = 26, 18, 130, 400
SPARK_WIDTH, SPARK_HEIGHT = 120, 24
NETWORK_ROW, NETWORK_WIDTH, NETWORK_LEFT, NETWORK_RIGHT = 30, 680, 250, 430


@dataclass(frozen=True)
class DashboardFilters:
    """What the reader narrowed the dashboard to: cases by sector and start year, community activity by date."""

    sector: Sector | None = None
    year_from: int | None = None
    year_to: int | None = None
    activity_from: datetime.date | None = None
    activity_to: datetime.date | None = None

    @property
    def has_period(self) -> bool:
        return self.year_from is not None or self.year_to is not None


# Figures -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    count: int
    level: int  # 0 (none) … HEAT_LEVELS (the largest count of its table)
    href: str = ""  # the same cases in search, when search can express the filters
    key: str = ""  # "<row>/<column>", e.g. "11000/tourism", for the page's data-cell attribute


@dataclass(frozen=True)
class HeatRow:
    key: str  # 시도 code, or FOREIGN
    label: str
    cells: tuple[Cell, ...]
    total: int


@dataclass(frozen=True)
class Heatmap:
    sectors: list[Sector]
    rows: list[HeatRow]
    column_totals: list[int]
    total: int


@dataclass(frozen=True)
class Bar:
    key: str
    label: str
    count: int
    y: int  # top of the bar's row in its chart
    length: float  # bar length in user units, proportional to the largest bar

    @property
    def bar_top(self) -> int:
        return self.y + (BAR_ROW - BAR_THICKNESS) // 2

    @property
    def baseline(self) -> int:
        return self.y + BAR_ROW - 8

    @property
    def value_x(self) -> float:
        return BAR_LABEL_WIDTH + self.length + 6


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    height: int
    total: int
    width: int = BAR_LABEL_WIDTH + BAR_AREA + 60
    label_x: int = BAR_LABEL_WIDTH - 8
    bar_x: int = BAR_LABEL_WIDTH
    thickness: int = BAR_THICKNESS

    @property
    def peak(self) -> Bar | None:
        return max(self.bars, key=lambda bar: bar.count, default=None) if self.total else None


@dataclass(frozen=True)
class TrendRow:
    technology: Technology
    cells: tuple[Cell, ...]
    total: int
    points: str  # sparkline polyline, oldest year first


@dataclass(frozen=True)
class TechnologyTrend:
    years: list[int]
    rows: list[TrendRow]


@dataclass(frozen=True)
class AdoptedCase:
    case: CaseStudyPage
    count: int
    length: float  # bar length, as in BarChart


@dataclass(frozen=True)
class AdoptionEdge:
    source_case: CaseStudyPage
    adopter_place: Place
    adopter_case: CaseStudyPage | None  # None when there is none or this audience may not open it
    note: str


@dataclass(frozen=True)
class AdoptionGroup:
    source_case: CaseStudyPage
    edges: list[AdoptionEdge]


@dataclass(frozen=True)
class NetworkNode:
    label: str
    y: int
    count: int


@dataclass(frozen=True)
class NetworkLink:
    source: str
    adopter: str
    y1: int
    y2: int
    count: int


@dataclass(frozen=True)
class AdoptionNetwork:
    groups: list[AdoptionGroup]
    edge_count: int
    sources: list[NetworkNode]
    adopters: list[NetworkNode]
    links: list[NetworkLink]
    height: int
    width: int = NETWORK_WIDTH
    left_x: int = NETWORK_LEFT
    right_x: int = NETWORK_RIGHT


@dataclass(frozen=True)
class Gap:
    sector: Sector
    provinces: list[Place]


@dataclass(frozen=True)
class CommunityActivity:
    community: CommunityPage
    members: int
    topics: int
    replies: int
    active_members: int


@dataclass(frozen=True)
class Activity:
    rows: list[CommunityActivity]
    topics: int
    replies: int
    active_members: int  # distinct authors over all these communities (one person active in two counts once)

    @property
    def chart(self) -> BarChart:
        """Posts (topics and replies) per community."""
        return bar_chart([(r.community.slug, r.community.title, r.topics + r.replies) for r in self.rows])


@dataclass(frozen=True)
class Dashboard:
    filters: DashboardFilters
    public: bool
    heatmap: Heatmap
    by_year: BarChart
    by_stage: BarChart
    technology_trend: TechnologyTrend
    most_adopted: list[AdoptedCase]
    network: AdoptionNetwork
    gaps: list[Gap]
    activity: Activity

    @property
    def case_count(self) -> int:
        return self.heatmap.total

    @property
    def province_count(self) -> int:
        return sum(1 for row in self.heatmap.rows if row.key != FOREIGN and row.total)


def dashboard_build(*, filters: DashboardFilters, public: bool) -> Dashboard:
    cases = dashboard_cases(filters=filters, public=public)
    heatmap = dashboard_heatmap(cases=cases, filters=filters)
    return Dashboard(
        filters=filters,
        public=public,
        heatmap=heatmap,
        by_year=dashboard_by_year(cases=cases),
        by_stage=dashboard_by_stage(cases=cases),
        technology_trend=dashboard_technology_trend(cases=cases),
        most_adopted=dashboard_most_adopted(cases=cases),
        network=dashboard_adoption_network(cases=cases, public=public),
        gaps=dashboard_gaps(heatmap=heatmap),
        activity=dashboard_activity(filters=filters, public=public),
    )


def dashboard_cases(*, filters: DashboardFilters, public: bool) -> models.QuerySet[CaseStudyPage]:
    """The cases every case figure counts: published (drafts are in no index), public ones only for the summary."""
    cases = CaseStudyPage.objects.live()
    if public:
        cases = cases.filter(visibility=Visibility.PUBLIC)
    if filters.sector is not None:
        cases = cases.filter(sector=filters.sector)
    if filters.year_from is not None:
        cases = cases.filter(start_year__gte=filters.year_from)
    if filters.year_to is not None:
        cases = cases.filter(start_year__lte=filters.year_to)
    return cases.order_by()


def heat_level(count: int, maximum: int) -> int:
    return 0 if count <= 0 or maximum <= 0 else max(1, math.ceil(count * HEAT_LEVELS / maximum))


def _province_code():
    """The 시도 a case belongs to, as search/documents.py files it: its lead place's 시도 (FOREIGN abroad)."""
    return models.Case(
        models.When(lead_place__level=Place.Level.PROVINCE, then=F("lead_place__code")),
        models.When(lead_place__level=Place.Level.MUNICIPALITY, then=F("lead_place__parent__code")),
        default=Value(FOREIGN),
        output_field=models.CharField(),
    )


def _search_href(filters: DashboardFilters, **params) -> str:
    """The search page for the same cases, or "" when search cannot say it (a range of years; foreign cities)."""
    if filters.has_period:
        if filters.year_from is None or filters.year_from != filters.year_to:
            return ""
        params["year"] = filters.year_from
    return "/search/?" + urlencode({"type": "case", **params})


def dashboard_heatmap(*, cases, filters: DashboardFilters) -> Heatmap:
    """Cases by 시도 × sector: the 17 시도 always (an empty row is a finding), foreign cities when there are any."""
    counts = {
        (row["province"], row["sector_id"]): row["n"]
        for row in cases.annotate(province=_province_code()).values("province", "sector_id").annotate(n=Count("pk"))
    }
    sectors = [filters.sector] if filters.sector is not None else list(Sector.objects.all())
    maximum = max(counts.values(), default=0)
    places = [(p.code, p.name) for p in Place.objects.korean().provinces().order_by("code")]
    if any(province == FOREIGN for province, _sector in counts):
        places.append((FOREIGN, _("해외")))
    rows = []
    for code, label in places:
        cells = []
        for sector in sectors:
            count = counts.get((code, sector.pk), 0)
            href = _search_href(filters, region=code, sector=sector.slug) if count and code != FOREIGN else ""
            cells.append(Cell(count, heat_level(count, maximum), href, key=f"{code}/{sector.slug}"))
        rows.append(HeatRow(code, label, tuple(cells), sum(cell.count for cell in cells)))
    column_totals = [sum(row.cells[i].count for row in rows) for i in range(len(sectors))]
    return Heatmap(sectors=sectors, rows=rows, column_totals=column_totals, total=sum(column_totals))


def bar_chart(items: list[tuple[str, str, int]]) -> BarChart:
    """(key, label, count) items as horizontal bars, each as long as its share of the largest."""
    maximum = max((count for _k, _l, count in items), default=0)
    bars = [
        Bar(key, label, count, y=i * BAR_ROW, length=round(BAR_AREA * count / maximum, 1) if maximum else 0)
        for i, (key, label, count) in enumerate(items)
    ]
    return BarChart(bars=bars, height=max(len(bars), 1) * BAR_ROW, total=sum(count for _k, _l, count in items))


def dashboard_by_year(*, cases) -> BarChart:
    """Cases by start year, every year between the first and the last shown (a year without cases is a zero)."""
    counts = dict(cases.values("start_year").annotate(n=Count("pk")).values_list("start_year", "n"))
    years = range(min(counts), max(counts) + 1) if counts else []
    return bar_chart([(str(year), str(year), counts.get(year, 0)) for year in years])


def dashboard_by_stage(*, cases) -> BarChart:
    counts = dict(cases.values("stage_id").annotate(n=Count("pk")).values_list("stage_id", "n"))
    return bar_chart([(stage.slug, stage.label, counts.get(stage.pk, 0)) for stage in Stage.objects.all()])


def dashboard_technology_trend(*, cases) -> TechnologyTrend:
    """Technology × start year. A case with three technologies counts once under each of them."""
    through = CaseStudyPage.technologies.through
    counts = {
        (row["technology_id"], row["casestudypage__start_year"]): row["n"]
        for row in through.objects.filter(casestudypage__in=cases.values("pk"))
        .values("technology_id", "casestudypage__start_year")
        .annotate(n=Count("pk"))
    }
    years = sorted({year for _technology, year in counts})
    years = list(range(years[0], years[-1] + 1)) if years else []
    maximum = max(counts.values(), default=0)
    rows = []
    for technology in Technology.objects.all():
        series = [counts.get((technology.pk, year), 0) for year in years]
        if any(series):
            cells = tuple(Cell(count, heat_level(count, maximum)) for count in series)
            rows.append(TrendRow(technology, cells, sum(series), _sparkline(series, maximum)))
    rows.sort(key=lambda row: -row.total)  # stable: equal totals keep the vocabulary's order
    return TechnologyTrend(years=years, rows=rows)


def _sparkline(series: list[int], maximum: int) -> str:
    if len(series) == 1:
        series = series * 2  # one year draws as a flat line
    step = SPARK_WIDTH / (len(series) - 1)
    top = maximum or 1
    return " ".join(f"{i * step:.1f},{SPARK_HEIGHT - 2 - (SPARK_HEIGHT - 4) * count / top:.1f}" for i, count in enumerate(series))


def dashboard_most_adopted(*, cases, limit: int = MOST_ADOPTED_LIMIT) -> list[AdoptedCase]:
    top = list(
        cases.annotate(adoption_count=Count("adoptions"))
        .filter(adoption_count__gt=0)
        .select_related("lead_place__parent")
        .order_by("-adoption_count", "title", "pk")[:limit]
    )
    maximum = top[0].adoption_count if top else 0
    return [AdoptedCase(case, case.adoption_count, round(BAR_AREA * case.adoption_count / maximum, 1)) for case in top]


def dashboard_adoption_network(*, cases, public: bool) -> AdoptionNetwork:
    """Who learned from whom: adoptions of these cases, grouped by case, and drawn place → place.

    The adopting place is always named; its own case only when this audience may open it (published; public for
    the summary), as on the case pages.
    """
    adoptions = (
        Adoption.objects.filter(source_case__in=cases.values("pk"))
        .select_related("source_case__lead_place__parent", "adopter_place__parent", "adopter_case")
        .order_by("source_case__title", "source_case_id", "adopter_place__code")
    )
    groups: dict[int, AdoptionGroup] = {}
    for adoption in adoptions:
        shown = adoption.adopter_case
        if shown is not None and not (shown.live and (not public or shown.visibility == Visibility.PUBLIC)):
            shown = None
        group = groups.setdefault(adoption.source_case_id, AdoptionGroup(adoption.source_case, []))
        group.edges.append(AdoptionEdge(adoption.source_case, adoption.adopter_place, shown, adoption.note))
    return _network_drawing(list(groups.values()))


def _network_drawing(groups: list[AdoptionGroup]) -> AdoptionNetwork:
    """Places that were learned from on the left, places that adopted on the right, one line per pair."""
    pairs = Counter((edge.source_case.lead_place.full_name, edge.adopter_place.full_name) for group in groups for edge in group.edges)
    source_counts, adopter_counts = Counter(), Counter()
    for (source, adopter), count in pairs.items():
        source_counts[source] += count
        adopter_counts[adopter] += count
    sources = [NetworkNode(label, (i + 1) * NETWORK_ROW, n) for i, (label, n) in enumerate(sorted(source_counts.items()))]
    adopters = [NetworkNode(label, (i + 1) * NETWORK_ROW, n) for i, (label, n) in enumerate(sorted(adopter_counts.items()))]
    y_source = {node.label: node.y for node in sources}
    y_adopter = {node.label: node.y for node in adopters}
    links = [
        NetworkLink(source, adopter, y_source[source], y_adopter[adopter], count) for (source, adopter), count in sorted(pairs.items())
    ]
    return AdoptionNetwork(
        groups=groups,
        edge_count=sum(pairs.values()),
        sources=sources,
        adopters=adopters,
        links=links,
        height=(max(len(sources), len(adopters)) + 1) * NETWORK_ROW,
    )


def dashboard_gaps(*, heatmap: Heatmap) -> list[Gap]:
    """For each sector shown, the 시도 without a single case in it (from the heatmap's counts, not a recount)."""
    provinces = {p.code: p for p in Place.objects.korean().provinces()}
    return [
        Gap(sector, [provinces[row.key] for row in heatmap.rows if row.key in provinces and row.cells[i].count == 0])
        for i, sector in enumerate(heatmap.sectors)
    ]


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def dashboard_activity(*, filters: DashboardFilters, public: bool) -> Activity:
    """Topics, replies and active members (distinct authors) per community within the activity period.

    Hidden posts never count. The summary counts only communities whose posts anyone may read; a sector keeps the
    communities given that sector.
    """
    communities = CommunityPage.objects.live()
    if public:
        communities = communities.filter(post_visibility=CommunityPage.PostVisibility.PUBLIC)
    if filters.sector is not None:
        communities = communities.filter(sectors=filters.sector)
    communities = list(communities.order_by("title"))
    posts = CommunityPost.objects.filter(community__in=communities, is_hidden=False)
    if filters.activity_from is not None:
        posts = posts.filter(created_at__gte=_local_midnight(filters.activity_from))
    if filters.activity_to is not None:
        posts = posts.filter(created_at__lt=_local_midnight(filters.activity_to + datetime.timedelta(days=1)))
    figures = {"topics": Count("pk", filter=Q(parent__isnull=True)), "replies": Count("pk", filter=Q(parent__isnull=False))}
    figures["active"] = Count("author", distinct=True)
    per_community = {row["community_id"]: row for row in posts.values("community_id").annotate(**figures)}
    members = defaultdict(
        int,
        Membership.objects.active()
        .filter(community__in=communities)
        .values("community_id")
        .annotate(n=Count("pk"))
        .values_list("community_id", "n"),
    )
    totals = posts.aggregate(**figures)
    empty = {"topics": 0, "replies": 0, "active": 0}
    rows = []
    for community in communities:
        row = per_community.get(community.pk, empty)
        rows.append(CommunityActivity(community, members[community.pk], row["topics"], row["replies"], row["active"]))
    return Activity(rows=rows, topics=totals["topics"], replies=totals["replies"], active_members=totals["active"])


# Tables (the CSV downloads) ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    title: str
    header: list[str]
    rows: list[list]


def dashboard_tables(dashboard: Dashboard) -> dict[str, Table]:
    """Every figure as a plain table, by the name its download uses."""
    heatmap = dashboard.heatmap
    trend = dashboard.technology_trend
    return {
        "regions": Table(
            _("시도 × 분야별 사례 수"),
            [_("시도"), *(s.label for s in heatmap.sectors), _("합계")],
            [[row.label, *(c.count for c in row.cells), row.total] for row in heatmap.rows]
            + [[_("합계"), *heatmap.column_totals, heatmap.total]],
        ),
        "years": Table(_("시작 연도별 사례 수"), [_("시작 연도"), _("사례 수")], [[b.label, b.count] for b in dashboard.by_year.bars]),
        "stages": Table(_("단계별 사례 수"), [_("단계"), _("사례 수")], [[b.label, b.count] for b in dashboard.by_stage.bars]),
        "technologies": Table(
            _("기술 × 시작 연도별 사례 수"),
            [_("기술"), *map(str, trend.years), _("합계")],
            [[row.technology.label, *(c.count for c in row.cells), row.total] for row in trend.rows],
        ),
        "most-adopted": Table(
            _("가장 많이 도입된 사례"),
            [_("순위"), _("사례"), _("주관 지자체"), _("도입 지자체 수")],
            [[i, item.case.title, item.case.lead_place.full_name, item.count] for i, item in enumerate(dashboard.most_adopted, 1)],
        ),
        "adoptions": Table(
            _("도입 관계"),
            [_("참고한 사례"), _("사례 지자체"), _("도입한 지자체"), _("도입 사례")],
            [
                [
                    edge.source_case.title,
                    edge.source_case.lead_place.full_name,
                    edge.adopter_place.full_name,
                    edge.adopter_case.title if edge.adopter_case else "",
                ]
                for group in dashboard.network.groups
                for edge in group.edges
            ],
        ),
        "gaps": Table(
            _("사례가 없는 시도"),
            [_("분야"), _("시도 수"), _("사례가 없는 시도")],
            [[gap.sector.label, len(gap.provinces), ", ".join(p.name for p in gap.provinces)] for gap in dashboard.gaps],
        ),
        "communities": Table(
            _("커뮤니티 활동"),
            [_("커뮤니티"), _("회원"), _("글"), _("댓글"), _("활동 회원")],
            [[r.community.title, r.members, r.topics, r.replies, r.active_members] for r in dashboard.activity.rows],
        ),
    }
