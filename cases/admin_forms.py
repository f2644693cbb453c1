"""Forms used by the Wagtail admin for case pages (kept free of cases.models so the page model can import them)."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminPageForm

from hub import permissions
from hub.models import Place


class CaseStudyPageForm(WagtailAdminPageForm):
    """Admin form for cases: an official may only file a case under their own local government."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self, "for_user", None)
        if user is not None and not permissions.is_curator(user):
            member = permissions.member_of(user)
            own = Place.objects.filter(pk=member.place_id) if member else Place.objects.none()
            self.fields["lead_place"].queryset = own
        self.fields["lead_place"].queryset = self.fields["lead_place"].queryset.select_related("parent")

    def clean(self):
        cleaned = super().clean()
        user = getattr(self, "for_user", None)
        lead = cleaned.get("lead_place")
        if user is None or permissions.is_curator(user) or lead is None:
            return cleaned
        member = permissions.member_of(user)
        participating = {p.pk for p in cleaned.get("participating_places") or []}
        if member is None or member.place_id not in {lead.pk, *participating}:
            self.add_error("lead_place", _("소속 지자체의 사례만 등록·수정할 수 있습니다."))
        return cleaned
