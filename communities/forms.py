from django import forms
from django.utils.translation import gettext_lazy as _

from hub.pii_guard import OVERRIDE_FIELD, pii_override_form_field

from .models import CommunityPost
from .services import HIDDEN_REASON_MAX_CHARS, POST_BODY_MAX_CHARS


class PostForm(forms.Form):
    """A topic (title and body) or, with `reply=True`, a reply (body only). The rules themselves live in the services."""

    title = forms.CharField(label=_("제목"), max_length=CommunityPost._meta.get_field("title").max_length, required=False)
    body = forms.CharField(
        label=_("내용"),
        max_length=POST_BODY_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 8, "data-markdown-preview": "true"}),
        help_text=_("Markdown을 쓸 수 있습니다."),
    )

    def __init__(self, *args, reply: bool = False, pii_override: bool = False, **kwargs):
        """`pii_override`: offer the curator's field for publishing despite a PII warning."""
        super().__init__(*args, **kwargs)
        if reply:
            del self.fields["title"]
            self.fields["body"].label = _("댓글")
            self.fields["body"].widget.attrs["rows"] = 4
        if pii_override:
            self.fields[OVERRIDE_FIELD] = pii_override_form_field()


class HideForm(forms.Form):
    action = forms.ChoiceField(choices=[("hide", _("숨기기")), ("unhide", _("숨김 해제"))])
    reason = forms.CharField(label=_("숨긴 이유"), max_length=HIDDEN_REASON_MAX_CHARS, required=False)
