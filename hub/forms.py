from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm, UsernameField
from django.utils.choices import CallableChoiceIterator
from django.utils.translation import gettext_lazy as _

from hub.models import Member, Place


class PlaceChoiceField(forms.ModelChoiceField):
    """Korean local governments grouped by 시도, so a long list stays easy to scan."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Place.objects.korean().select_related("parent").order_by("code"), **kwargs)

    def label_from_instance(self, place):
        return place.full_name

    def _grouped_choices(self):
        # Lazy, like ModelChoiceIterator: the field is built at import time, before the database may exist.
        return CallableChoiceIterator(self._groups)

    def _groups(self):
        groups: dict[str, list] = {}
        for place in self.queryset:
            label = place.name if place.level == Place.Level.PROVINCE else place.full_name
            groups.setdefault(place.province.name, []).append((place.pk, label))
        return [("", "---------"), *groups.items()]

    # Grouped for display only: validation still goes through the queryset.
    choices = property(_grouped_choices, forms.ChoiceField.choices.fset)


class SignupForm(forms.Form):
    email = forms.EmailField(label=_("업무용 이메일"))
    name = forms.CharField(label=_("이름"), max_length=60)
    place = PlaceChoiceField(label=_("소속 지자체"), help_text=_("시도 소속이면 시도를, 시군구 소속이면 시군구를 고르세요."))
    organisation = forms.CharField(label=_("소속 기관·부서"), max_length=120)
    job_title = forms.CharField(label=_("직위·직무"), max_length=80, required=False)
    language = forms.ChoiceField(label=_("언어"), choices=Member.Language.choices, initial="ko")
    password1 = forms.CharField(label=_("비밀번호"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("비밀번호 확인"), widget=forms.PasswordInput, strip=False)

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if get_user_model().objects.filter(username__iexact=email).exists():
            raise forms.ValidationError(_("이미 가입된 이메일입니다."))
        return email

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("비밀번호가 서로 다릅니다."))
        elif p1:
            user = get_user_model()(
                username=cleaned.get("email") or "", email=cleaned.get("email") or "", first_name=cleaned.get("name") or ""
            )
            try:
                password_validation.validate_password(p1, user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class MemberSettingsForm(forms.ModelForm):
    name = forms.CharField(label=_("이름"), max_length=60)

    class Meta:
        model = Member
        fields = ["language", "organisation", "job_title", "bio"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 5, "data-markdown-preview": "true"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].initial = self.instance.user.first_name
        self.order_fields(["name", "language", "organisation", "job_title", "bio"])

    def save(self, commit=True):
        member = super().save(commit=commit)
        member.user.first_name = self.cleaned_data["name"]
        if commit:
            member.user.save(update_fields=["first_name"])
        return member


class EmailAuthenticationForm(AuthenticationForm):
    """Members sign in with their e-mail address (it is also their username)."""

    username = UsernameField(label=_("이메일"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}))

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()
