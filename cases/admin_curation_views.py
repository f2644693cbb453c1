"""추천·시상: the curators' page for one case in the Wagtail admin (/admin/cases/<id>/curation/).

Featuring and awards are editorial decisions made at once, whatever draft or review of the case is pending, so they
live here and not in the case editor, whose changes wait for the review workflow. Curators only; anyone else gets 403.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from hub import permissions

from .models import Award, CaseAward, CaseStudyPage
from .services import AWARD_FIRST_YEAR, CurationRefused, case_award_give, case_award_revoke, case_feature_set


class AwardGiveForm(forms.Form):
    award = forms.ModelChoiceField(label=gettext_lazy("시상"), queryset=Award.objects.all(), empty_label=None)
    year = forms.IntegerField(label=gettext_lazy("연도"), min_value=AWARD_FIRST_YEAR)
    note = forms.CharField(
        label=gettext_lazy("메모"), max_length=300, required=False, help_text=gettext_lazy("예: 2026 스마트도시 우수사례 공모")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Up to next year (an award announced for it): computed per form, as the year turns.
        next_year = timezone.localdate().year + 1
        self.fields["year"].validators.append(MaxValueValidator(next_year))
        self.fields["year"].widget.attrs["max"] = next_year
        self.initial.setdefault("year", next_year - 1)


class CaseCurationView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "cases/admin/case_curation.html"
    header_icon = "pick"

    def dispatch(self, request, *args, page_id: int, **kwargs):
        if not permissions.is_curator(request.user):
            # A plain 403, as for other municipalities' cases (cases/middleware.py): Wagtail would turn a raised
            # PermissionDenied into a redirect to the dashboard, which tools and people cannot tell from success.
            refusal = PermissionDenied(_("큐레이터만 추천 사례와 시상을 정할 수 있습니다."))
            return render(request, "403.html", {"exception": refusal}, status=403)
        self.case = get_object_or_404(CaseStudyPage, pk=page_id)
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return _("추천·시상")

    def get_page_subtitle(self):
        return self.case.title

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("award_form", AwardGiveForm())
        context.update(
            case=self.case,
            case_awards=self.case.awards.select_related("award", "given_by").order_by("-year", "award__order"),
        )
        return context

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        if action in ("feature", "unfeature"):
            self.case = case_feature_set(case=self.case, featured=action == "feature", by=request.user)
            done = _("추천 사례로 정했습니다.") if self.case.is_featured else _("추천 사례에서 뺐습니다.")
            messages.success(request, done)
        elif action == "revoke":
            case_award = get_object_or_404(CaseAward, pk=request.POST.get("case_award") or 0, case=self.case)
            case_award_revoke(case_award=case_award, by=request.user)
            messages.success(request, _("%(award)s 시상을 취소했습니다.") % {"award": case_award})
        elif action == "give":
            form = AwardGiveForm(request.POST)
            if not form.is_valid():
                return self.render_to_response(self.get_context_data(award_form=form))
            try:
                case_award = case_award_give(case=self.case, by=request.user, **form.cleaned_data)
            except CurationRefused as refused:
                form.add_error(None, str(refused))
                return self.render_to_response(self.get_context_data(award_form=form))
            messages.success(request, _("%(award)s을(를) 주었습니다.") % {"award": case_award})
        else:
            messages.error(request, _("알 수 없는 요청입니다."))
        return redirect("cases_curation", page_id=self.case.pk)
