"""Exporting a search result (/search/export.csv, .xlsx, .json): every matching item the viewer may see, not one page.

The rows come from the search service (search/service.py) with the viewer, so an export holds exactly what the search
page would list for that person under the same query string, members-only items only for approved members. The
service is paged through in chunks of EXPORT_CHUNK up to EXPORT_CAP items (the service's result window); a bigger
result is cut there and the export says so (JSON `truncated`, the XLSX's 정보 sheet, the search page's link text).
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, replace

from django.utils import timezone
from django.utils.translation import gettext as _

from .service import MAX_RESULT_WINDOW, Hit, SearchRequest, search

EXPORT_CHUNK = 100
EXPORT_CAP = MAX_RESULT_WINDOW
FORMATS = ("csv", "xlsx", "json")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json; charset=utf-8",
}
# (JSON name, CSV/XLSX header): the spreadsheet headers are in Korean for the officials who open them.
COLUMNS = (
    ("type", "유형"),
    ("key", "키"),
    ("title", "제목"),
    ("url", "주소"),
    ("region", "시도"),
    ("municipality", "시군구"),
    ("sectors", "분야"),
    ("technologies", "기술"),
    ("stage", "단계"),
    ("year", "연도"),
    ("language", "언어"),
    ("published_at", "게시일"),
    ("summary", "요약"),
)
LIST_SEPARATOR = "; "
# A cell starting with one of these is a formula to Excel and LibreOffice: titles are written by users, so such a
# cell gets a leading apostrophe (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Export:
    request: SearchRequest
    total: int  # everything that matches for this viewer
    rows: list[dict]  # at most EXPORT_CAP
    exported_at: datetime.datetime

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


def search_export(request: SearchRequest, *, viewer, absolute_url: Callable[[str], str]) -> Export:
    """Every item matching `request` that `viewer` may see (up to EXPORT_CAP), as export rows.

    Raises what `search` raises: SearchParameterError for a bad parameter, SearchUnavailable when the backend is down.
    """
    rows: list[dict] = []
    total = 0
    page = 1
    while len(rows) < EXPORT_CAP:
        result = search(replace(request, page=page, page_size=EXPORT_CHUNK), viewer=viewer)
        total = result.total
        rows.extend(export_row(hit, absolute_url=absolute_url) for hit in result.hits)
        if not result.hits or len(rows) >= total or page * EXPORT_CHUNK >= EXPORT_CAP:
            break
        page += 1
    return Export(request=request, total=total, rows=rows[:EXPORT_CAP], exported_at=timezone.now())


def export_row(hit: Hit, *, absolute_url: Callable[[str], str]) -> dict:
    published = timezone.localtime(hit.published_at).isoformat() if hit.published_at else None
    return {
        "type": hit.type,
        "key": hit.key,
        "title": hit.title,
        "url": absolute_url(hit.url),
        "region": hit.region_label,
        "municipality": hit.municipality_label,
        "sectors": hit.sector_labels,
        "technologies": hit.technology_labels,
        "stage": hit.stage_label,
        "year": hit.year,
        "language": hit.language,
        "published_at": published,
        "summary": hit.source.get("summary", ""),
    }


def export_filename(export: Export, fmt: str) -> str:
    return f"gachi-hub-search-{timezone.localtime(export.exported_at):%Y-%m-%d}.{fmt}"


# Formats -------------------------------------------------------------------------------------------------------------


def export_csv(export: Export) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens the Korean text as Korean."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header for _name, header in COLUMNS)
    for row in export.rows:
        writer.writerow(_cell(row[name]) for name, _header in COLUMNS)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def export_json(export: Export) -> bytes:
    document = {
        "query": _query(export.request),
        "exported_at": timezone.localtime(export.exported_at).isoformat(),
        "total": export.total,
        "count": len(export.rows),
        "cap": EXPORT_CAP,
        "truncated": export.truncated,
        "results": export.rows,
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def export_xlsx(export: Export) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("검색 결과")
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHIJKLM", (10, 22, 40, 40, 14, 14, 16, 18, 10, 8, 6, 22, 60), strict=True):
        sheet.column_dimensions[letter].width = width
    bold = Font(bold=True)
    sheet.append([_styled(WriteOnlyCell(sheet, value=header), bold) for _name, header in COLUMNS])
    for row in export.rows:
        sheet.append([_text_cell(sheet, WriteOnlyCell, row[name]) for name, _header in COLUMNS])
    about = workbook.create_sheet("정보")
    for label, value in _about(export):
        about.append([_text_cell(about, WriteOnlyCell, label), _text_cell(about, WriteOnlyCell, value)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


WRITERS = {"csv": export_csv, "xlsx": export_xlsx, "json": export_json}


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = LIST_SEPARATOR.join(value)
    value = str(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _text_cell(sheet, cell_class, value):
    """A cell that is a number when the value is one (the year) and text otherwise, never a formula."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, int) and not isinstance(value, bool):
        return cell_class(sheet, value=value)
    text = ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else (LIST_SEPARATOR.join(value) if isinstance(value, list) else str(value)))
    cell = cell_class(sheet, value=text)
    cell.data_type = "s"  # openpyxl would store "=..." as a formula
    return cell


def _styled(cell, font):
    cell.font = font
    return cell


def _query(request: SearchRequest) -> dict:
    return {"q": request.text, **request.filters.active(), "sort": request.sort}


def _about(export: Export) -> list[tuple[str, object]]:
    query = _query(export.request)
    rows = [
        (_("내보낸 시각"), timezone.localtime(export.exported_at).strftime("%Y-%m-%d %H:%M")),
        (_("검색어"), query.pop("q") or _("(없음)")),
        *((name, value) for name, value in query.items()),
        (_("전체 결과"), export.total),
        (_("내보낸 결과"), len(export.rows)),
    ]
    if export.truncated:
        rows.append((_("안내"), _("결과가 많아 앞의 %(cap)s건만 내보냈습니다. 필터로 범위를 좁혀 보세요.") % {"cap": f"{EXPORT_CAP:,}"}))
    return rows
