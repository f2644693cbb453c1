from django import forms
from django.utils.translation import gettext_lazy as _

from hub.pii_guard import OVERRIDE_FIELD, pii_override_form_field

from .models import ProjectLogEntry, Stage


class ProjectLogEntryForm(forms.ModelForm):
    class Meta:
        model = ProjectLogEntry
        fields = ["date", "kind", "title", "body", "new_stage"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}),
            "body": forms.Textarea(attrs={"rows": 8, "data-markdown-preview": "true"}),
        }
        help_texts = {"body": _("Markdown을 쓸 수 있습니다."), "new_stage": _("'단계 변경'일 때 사례의 단계를 이 값으로 바꿉니다.")}

    def __init__(self, *args, pii_override: bool = False, **kwargs):
        """`pii_override`: offer the curator's field for publishing despite a PII warning."""
        super().__init__(*args, **kwargs)
        self.fields["new_stage"].queryset = Stage.objects.all()
        if pii_override:
            self.fields[OVERRIDE_FIELD] = pii_override_form_field()

    def clean(self):
        cleaned = super().clean()
        kind, new_stage = cleaned.get("kind"), cleaned.get("new_stage")
        if kind == ProjectLogEntry.Kind.STAGE_CHANGE and not new_stage:
            self.add_error("new_stage", _("단계 변경 로그에는 새 단계를 골라 주세요."))
        if kind != ProjectLogEntry.Kind.STAGE_CHANGE and new_stage:
            self.add_error("new_stage", _("새 단계는 '단계 변경' 로그에서만 정할 수 있습니다."))
        return cleaned
