"""Forms used by the Wagtail admin for case pages (kept free of cases.models so the page model can import them)."""

from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminPageForm

from hub import permissions
from hub.models import Place
from hub.pii_guard import (
    OVERRIDE_FIELD,
    PiiBlocked,
    pii_blocked_record,
    pii_findings_in,
    pii_guard,
    pii_override_form_field,
    pii_override_record,
)

# The free text of a case, scanned for personal data before it is published. The contact_* fields are left out on
# purpose: they hold the institution's public contact, which a case is meant to publish.
CASE_PII_FIELDS = ("title", "summary", "problem", "solution", "outcomes", "lessons", "partners", "vendors")
# Publishing, or submitting for moderation (which ends in publishing); saving a draft stays possible.
PUBLISHING_ACTIONS = ("action-publish", "action-submit")


def _pii_label(model, name: str) -> str:
    return str(capfirst(model._meta.get_field(name).verbose_name))


def case_pii_override_record(*, page, user, data):
    """After a case is published or submitted (Wagtail's after_create/edit_page hooks): record a curator's override.

    The form has already refused anything else, so a reason here comes from a curator who saw the warning.
    """
    from cases.models import CaseStudyPage

    reason = (data.get(OVERRIDE_FIELD) or "").strip()
    if not isinstance(page, CaseStudyPage) or not reason or not any(data.get(action) for action in PUBLISHING_ACTIONS):
        return None
    if not permissions.is_curator(user):
        return None
    findings = pii_findings_in({_pii_label(CaseStudyPage, name): getattr(page, name) or "" for name in CASE_PII_FIELDS})
    return pii_override_record(findings=findings, user=user, target=page, subject=page.title, reason=reason)


class CaseStudyPageForm(WagtailAdminPageForm):
    """Admin form for cases: an official may only file a case under their own local government, and a case holding
    personal data is not published (curators may override with a reason)."""

    pii_override_reason = pii_override_form_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self, "for_user", None)
        if user is None or not permissions.is_curator(user):
            self.fields.pop(OVERRIDE_FIELD, None)
        if user is not None and not permissions.is_curator(user):
            member = permissions.member_of(user)
            own = Place.objects.filter(pk=member.place_id) if member else Place.objects.none()
            self.fields["lead_place"].queryset = own
        self.fields["lead_place"].queryset = self.fields["lead_place"].queryset.select_related("parent")

    def clean(self):
        cleaned = super().clean()
        self._guard_pii(cleaned)
        user = getattr(self, "for_user", None)
        lead = cleaned.get("lead_place")
        if user is None or permissions.is_curator(user) or lead is None:
            return cleaned
        member = permissions.member_of(user)
        participating = {p.pk for p in cleaned.get("participating_places") or []}
        if member is None or member.place_id not in {lead.pk, *participating}:
            self.add_error("lead_place", _("소속 지자체의 사례만 등록·수정할 수 있습니다."))
        return cleaned

    def save(self, commit=True):
        """Featuring is the curators' decision, made at once on the curation page (cases.services.case_feature_set),
        never through an edit: every revision the editor writes carries the live value, so neither an official's
        form nor publishing an older draft can set or undo it."""
        if self.instance.pk:
            live = type(self.instance).objects.filter(pk=self.instance.pk).values("is_featured", "featured_at").first()
            if live is not None:
                self.instance.is_featured, self.instance.featured_at = live["is_featured"], live["featured_at"]
        return super().save(commit=commit)

    def _guard_pii(self, cleaned) -> None:
        if not any(self.data.get(action) for action in PUBLISHING_ACTIONS):
            return
        user = getattr(self, "for_user", None)
        model = type(self.instance)
        names = {_pii_label(model, name): name for name in CASE_PII_FIELDS if name in self.fields}
        try:
            pii_guard(
                fields={label: cleaned.get(name) or "" for label, name in names.items()},
                user=user,
                override_reason=cleaned.get(OVERRIDE_FIELD, ""),
            )
        except PiiBlocked as blocked:
            # A new case has no row yet: the refusal is filed under the case list it was meant for.
            target = self.instance if self.instance.pk else self.parent_page
            pii_blocked_record(blocked=blocked, user=user, target=target, subject=cleaned.get("title") or self.instance.title or "")
            self.add_error(None, blocked)
            for label in dict.fromkeys(f.field for f in blocked.findings):
                found = ", ".join(f"{f.type_label} {f.finding.masked}" for f in blocked.findings if f.field == label)
                self.add_error(names[label], _("개인정보로 보이는 내용: %(found)s") % {"found": found})
