"""The dashboard pages and their CSV downloads: curators see every published case, the summary the public ones."""

from __future__ import annotations

import csv

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import Sector
from hub import permissions
from hub.dashboard import DashboardFilters, dashboard_build, dashboard_tables

YEAR_MIN, YEAR_MAX = 1990, 2100
TABLE_NAMES = ("regions", "years", "stages", "technologies", "most-adopted", "adoptions", "gaps", "communities")


class DashboardFilterForm(forms.Form):
    sector = forms.ModelChoiceField(
        label=gettext_lazy("분야"), queryset=Sector.objects.all(), to_field_name="slug", required=False, empty_label=gettext_lazy("전체")
    )
    year_from = forms.IntegerField(label=gettext_lazy("시작 연도부터"), required=False, min_value=YEAR_MIN, max_value=YEAR_MAX)
    year_to = forms.IntegerField(label=gettext_lazy("시작 연도까지"), required=False, min_value=YEAR_MIN, max_value=YEAR_MAX)
    activity_from = forms.DateField(label=gettext_lazy("활동 기간 시작"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    activity_to = forms.DateField(label=gettext_lazy("활동 기간 끝"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        for first, last in (("year_from", "year_to"), ("activity_from", "activity_to")):
            if cleaned.get(first) is not None and cleaned.get(last) is not None and cleaned[first] > cleaned[last]:
                self.add_error(last, _("끝은 시작보다 빠를 수 없습니다."))
        return cleaned

    def filters(self) -> DashboardFilters:
        return DashboardFilters(**{name: self.cleaned_data.get(name) for name in self.fields})


def _filters_from(request) -> tuple[DashboardFilterForm, DashboardFilters | None]:
    """The form, and the filters it gives (None when a value is wrong: the page then says which and why)."""
    form = DashboardFilterForm(request.GET or None)
    if not form.is_bound:
        return DashboardFilterForm(), DashboardFilters()
    return form, (form.filters() if form.is_valid() else None)


def _dashboard_page(request, *, public: bool):
    form, filters = _filters_from(request)
    template = "hub/dashboard_public.html" if public else "hub/dashboard.html"
    if filters is None:
        return render(request, template, {"form": form, "dashboard": None}, status=400)
    dashboard = dashboard_build(filters=filters, public=public)
    export = reverse("dashboard_summary_csv" if public else "dashboard_csv", args=["__table__"])
    query = request.GET.urlencode()
    # Keyed with underscores: templates cannot look up "most-adopted".
    downloads = {name.replace("-", "_"): export.replace("__table__", name) + (f"?{query}" if query else "") for name in TABLE_NAMES}
    return render(request, template, {"form": form, "dashboard": dashboard, "downloads": downloads})


def _require_curator(request) -> None:
    if not permissions.is_curator(request.user):
        raise PermissionDenied(_("큐레이터만 대시보드를 볼 수 있습니다. 공개 현황은 /dashboard/summary/ 에 있습니다."))


@login_required
def dashboard_view(request):
    _require_curator(request)
    return _dashboard_page(request, public=False)


def dashboard_summary_view(request):
    return _dashboard_page(request, public=True)


def _csv_response(request, *, table: str, public: bool):
    if table not in TABLE_NAMES:
        raise Http404(_("그런 표는 없습니다."))
    form, filters = _filters_from(request)
    if filters is None:
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
        return HttpResponseBadRequest(_("필터 값이 올바르지 않습니다: %(problems)s") % {"problems": problems}, content_type="text/plain")
    data = dashboard_tables(dashboard_build(filters=filters, public=public))[table]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    prefix = "gachi-summary" if public else "gachi-dashboard"
    response["Content-Disposition"] = f'attachment; filename="{prefix}-{table}.csv"'
    response.write("\ufeff")  # so that spreadsheet programs read the Korean as UTF-8
    writer = csv.writer(response)
    writer.writerow(data.header)
    writer.writerows(data.rows)
    return response


@login_required
def dashboard_csv_view(request, table: str):
    _require_curator(request)
    return _csv_response(request, table=table, public=False)


def dashboard_summary_csv_view(request, table: str):
    return _csv_response(request, table=table, public=True)
