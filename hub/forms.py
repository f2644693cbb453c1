from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm, UsernameField
from django.utils.choices import CallableChoiceIterator
from django.utils.translation import gettext_lazy as _

from hub.interests import PlaceLabelError, PlaceLookup, text_list_parse
from hub.models import DigestFrequency, Member, MemberInterests, Place
from hub.models.interests import MAX_KEYWORD_CHARS, MAX_KEYWORDS, MAX_TAG_CHARS, MAX_TAGS, validate_keywords, validate_tags


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


class ProvinceChoiceField(forms.ModelMultipleChoiceField):
    """The 17 시도 as checkboxes, each labelled with its name."""

    def label_from_instance(self, place):
        return place.name


class InterestsForm(forms.Form):
    """The "관심사와 알림" section of the settings page. Plain checkboxes, radios and text: no script needed."""

    sectors = forms.ModelMultipleChoiceField(label=_("관심 분야"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple)
    technologies = forms.ModelMultipleChoiceField(label=_("관심 기술"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple)
    provinces = ProvinceChoiceField(
        label=_("관심 시도"), queryset=Place.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    municipalities = forms.CharField(
        label=_("관심 시군구"),
        required=False,
        max_length=2000,
        help_text=_("이름이나 코드를 쉼표로 구분해 쓰세요. 여러 시도에 있는 이름은 시도와 함께: 부산광역시 중구, 성남시, 41110"),
    )
    tags = forms.CharField(
        label=_("관심 태그"),
        required=False,
        max_length=2000,
        help_text=_("쉼표로 구분, %(max)s개까지, 각 %(chars)s자 이내") % {"max": MAX_TAGS, "chars": MAX_TAG_CHARS},
    )
    keywords = forms.CharField(
        label=_("키워드"),
        required=False,
        max_length=2000,
        help_text=_("검색어처럼 쓰입니다. 쉼표로 구분, %(max)s개까지, 각 %(chars)s자 이내")
        % {"max": MAX_KEYWORDS, "chars": MAX_KEYWORD_CHARS},
    )
    digest_frequency = forms.ChoiceField(
        label=_("소식 메일"), choices=DigestFrequency.choices, widget=forms.RadioSelect, initial=DigestFrequency.WEEKLY
    )

    def __init__(self, *args, interests: MemberInterests | None = None, **kwargs):
        from cases.models import Sector, Technology

        super().__init__(*args, **kwargs)
        self.fields["sectors"].queryset = Sector.objects.all()
        self.fields["technologies"].queryset = Technology.objects.all()
        self.fields["provinces"].queryset = Place.objects.korean().provinces().order_by("code")
        if interests is not None and not self.is_bound:
            places = list(interests.places.select_related("parent").order_by("code"))
            self.initial.update(
                sectors=list(interests.sectors.all()),
                technologies=list(interests.technologies.all()),
                provinces=[p for p in places if p.level == Place.Level.PROVINCE],
                municipalities=", ".join(p.full_name for p in places if p.level != Place.Level.PROVINCE),
                tags=", ".join(interests.tags),
                keywords=", ".join(interests.keywords),
                digest_frequency=interests.digest_frequency,
            )

    def clean_municipalities(self) -> list[Place]:
        lookup, places, problems = PlaceLookup(), [], []
        for label in text_list_parse(self.cleaned_data["municipalities"]):
            try:
                places.append(lookup.resolve(label))
            except PlaceLabelError as error:
                problems.append(str(error))
        if problems:
            raise forms.ValidationError(problems)
        return places

    def clean_tags(self) -> list[str]:
        return self._text_list("tags", validate_tags)

    def clean_keywords(self) -> list[str]:
        return self._text_list("keywords", validate_keywords)

    def _text_list(self, name: str, validator) -> list[str]:
        values = text_list_parse(self.cleaned_data[name])
        validator(values)
        return values

    @property
    def places(self) -> list[Place]:
        """The 시도 ticked and the 시군구 written, once each."""
        chosen = [*self.cleaned_data.get("provinces", []), *self.cleaned_data.get("municipalities", [])]
        return list({place.pk: place for place in chosen}.values())


class EmailAuthenticationForm(AuthenticationForm):
    """Members sign in with their e-mail address (it is also their username)."""

    username = UsernameField(label=_("이메일"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}))

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()
