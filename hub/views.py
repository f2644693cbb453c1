from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hub import api_auth, interests, permissions, selectors, services
from hub.forms import InterestsForm, MemberSettingsForm, SignupForm
from hub.markdown import render_markdown
from hub.models import ApiToken, Follow, Member

MARKDOWN_PREVIEW_MAX_CHARS = 50_000


def signup_view(request):
    if request.user.is_authenticated:
        return redirect("hub:settings")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        member = services.member_register(
            email=data["email"],
            password=data["password1"],
            name=data["name"],
            place=data["place"],
            organisation=data["organisation"],
            job_title=data["job_title"],
            language=data["language"],
        )
        login(request, member.user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("가입 신청이 접수되었습니다. 큐레이터가 승인하면 글을 쓸 수 있습니다."))
        return redirect("hub:profile", member.user.pk)
    return render(request, "hub/signup.html", {"form": form})


def profile_view(request, user_id: int):
    member = get_object_or_404(Member.objects.select_related("user", "place__parent"), user_id=user_id, user__is_active=True)
    context = selectors.member_profile_context(member=member, viewer=request.user)
    return render(request, "hub/profile.html", context)


def _settings_member(request):
    member = permissions.member_of(request.user)
    if member is None:
        messages.info(request, _("이 계정에는 회원 정보가 없습니다. 관리 화면을 이용하세요."))
    return member


def _settings_page(request, member, *, form=None, interests_form=None, status=200):
    context = {
        "form": form or MemberSettingsForm(instance=member),
        "interests_form": interests_form or InterestsForm(prefix="interests", interests=interests.interests_ensure(member=member)),
        "member": member,
        "saved_searches": member.saved_searches.all(),
        "follows": interests.member_follows(member=member),
        "may_subscribe": permissions.is_approved_member(request.user),
    }
    return render(request, "hub/settings.html", context, status=status)


@login_required
def settings_view(request):
    member = _settings_member(request)
    if member is None:
        return redirect("/admin/")
    form = MemberSettingsForm(request.POST or None, instance=member)
    if request.method == "POST" and form.is_valid():
        form.save()
        response = redirect("hub:settings")
        # The chosen language takes effect at once, also over an earlier switch in the header.
        response.delete_cookie("django_language")
        messages.success(request, _("설정을 저장했습니다."))
        return response
    return _settings_page(request, member, form=form)


@require_POST
@login_required
def interests_view(request):
    """The "관심사와 알림" form of the settings page (a form of its own, so each section saves on its own)."""
    member = _settings_member(request)
    if member is None:
        return redirect("/admin/")
    form = InterestsForm(request.POST, prefix="interests")
    if form.is_valid():
        data = form.cleaned_data
        try:
            interests.interests_update(
                member=member,
                sectors=data["sectors"],
                technologies=data["technologies"],
                places=form.places,
                tags=data["tags"],
                keywords=data["keywords"],
                digest_frequency=data["digest_frequency"],
            )
        except ValidationError as error:
            _form_errors_from(form, error)
        else:
            messages.success(request, _("관심사와 알림 설정을 저장했습니다."))
            return redirect(f"{reverse('hub:settings')}#interests")
    return _settings_page(request, member, interests_form=form)


INTERESTS_FIELD_FOR = {"places": "municipalities"}  # a model field's errors shown at the form field that fills it


def _form_errors_from(form, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        field = INTERESTS_FIELD_FOR.get(name, name)
        form.add_error(field if field in form.fields else None, errors)


@require_POST
@login_required
def saved_search_create_view(request):
    """The search page's "이 검색 구독": save the exact query and filters it shows, then go back to it."""
    member = permissions.member_of(request.user)
    if member is None:
        raise PermissionDenied(_("승인된 회원만 검색을 구독할 수 있습니다."))
    params = {name: value for name, value in request.POST.items() if name not in ("csrfmiddlewaretoken", "name")}
    try:
        saved, created = interests.saved_search_create(member=member, params=params, name=request.POST.get("name", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(f"{interests.SEARCH_PAGE_URL}?{urlencode(params)}")
    if created:
        messages.success(request, _("이 검색을 구독했습니다: %(name)s. 새 결과는 소식 메일로 알려 드립니다.") % {"name": saved.name})
    else:
        messages.info(request, _("이미 구독한 검색입니다: %(name)s") % {"name": saved.name})
    return redirect(saved.url)


@require_POST
@login_required
def saved_search_delete_view(request, saved_search_id: int):
    member = permissions.member_of(request.user)
    if member is None or not interests.saved_search_delete(member=member, saved_search_id=saved_search_id):
        raise Http404(_("저장한 검색이 없습니다."))
    messages.success(request, _("검색 구독을 취소했습니다."))
    return redirect(f"{reverse('hub:settings')}#saved-searches")


@require_POST
@login_required
def follow_view(request):
    """Follow or unfollow (POST kind, id, action) a case, community or member, then go back where the button was."""
    kind, action = request.POST.get("kind", ""), request.POST.get("action", "follow")
    if kind not in Follow.Kind.values or action not in ("follow", "unfollow"):
        return HttpResponseBadRequest(_("kind는 case, community, member 중 하나, action은 follow 또는 unfollow여야 합니다."))
    target = interests.follow_target_get(kind=kind, target_id=_int_or_none(request.POST.get("id", "")), viewer=request.user)
    if target is None:
        raise Http404(_("팔로우할 대상을 찾을 수 없습니다."))
    member = permissions.member_of(request.user)
    if member is None:
        raise PermissionDenied(_("승인된 회원만 팔로우할 수 있습니다."))
    if action == "unfollow":
        interests.unfollow(member=member, target=target)
        messages.success(request, _("팔로우를 취소했습니다."))
    else:
        try:
            interests.follow(member=member, target=target)
        except ValidationError as error:
            return HttpResponseBadRequest(" ".join(error.messages))
        messages.success(request, _("팔로우했습니다. 새 소식을 알려 드립니다."))
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        next_url = _follow_target_url(target)
    return redirect(next_url)


def _follow_target_url(target) -> str:
    if isinstance(target, Member):
        return reverse("hub:profile", args=[target.user_id])
    return target.url or "/"


@login_required
def approvals_view(request):
    if not permissions.is_curator(request.user):
        raise PermissionDenied(_("큐레이터만 가입을 승인할 수 있습니다."))
    if request.method == "POST":
        member = get_object_or_404(Member, pk=request.POST.get("member"))
        services.member_approve(member=member, approved_by=request.user, as_official=request.POST.get("role") != "member")
        messages.success(request, _("%(name)s 님을 승인했습니다.") % {"name": member.display_name})
        return redirect("hub:approvals")
    pending = Member.objects.filter(is_approved=False, user__is_active=True).select_related("user", "place__parent").order_by("created_at")
    return render(request, "hub/approvals.html", {"pending": pending})


@require_POST
def markdown_preview_view(request):
    """Renders exactly what will be published (same renderer and sanitiser); for signed-in members only."""
    if not request.user.is_authenticated:
        raise PermissionDenied
    text = request.POST.get("text", "")
    if len(text) > MARKDOWN_PREVIEW_MAX_CHARS:
        return HttpResponseBadRequest(_("미리보기는 %(n)s자까지 가능합니다.") % {"n": f"{MARKDOWN_PREVIEW_MAX_CHARS:,}"})
    return HttpResponse(render_markdown(text), content_type="text/html; charset=utf-8")


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("이름"), max_length=100, help_text=gettext_lazy("예: 우리 시 누리집 연동"))
    scope = forms.ChoiceField(
        label=gettext_lazy("권한"), choices=ApiToken.Scope.choices, initial=ApiToken.Scope.READ, widget=forms.RadioSelect
    )

    def __init__(self, *args, may_write: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_write:  # only approved officials and curators are offered write tokens
            self.fields["scope"].choices = [(ApiToken.Scope.READ, ApiToken.Scope.READ.label)]


@never_cache  # the page that shows a new token must not stay in any cache
@login_required
def api_tokens_view(request):
    """The member's API tokens: make one (its secret is shown once, on the answer to the POST), list, revoke."""
    may_write = api_auth.can_write_with_token(request.user)
    form = ApiTokenForm(may_write=may_write)
    secret = None
    if request.method == "POST" and "revoke" in request.POST:
        token = get_object_or_404(ApiToken, pk=_int_or_none(request.POST["revoke"]), user=request.user)
        api_auth.api_token_revoke(token=token)
        messages.success(request, _("토큰 %(prefix)s…을 폐기했습니다.") % {"prefix": token.key_prefix})
        return redirect("hub:api_tokens")
    if request.method == "POST":
        form = ApiTokenForm(request.POST, may_write=may_write)
        if form.is_valid():
            try:
                token, secret = api_auth.api_token_create(user=request.user, **form.cleaned_data)
            except PermissionDenied as refused:
                form.add_error(None, str(refused))
            else:
                form = ApiTokenForm(may_write=may_write)
    context = {
        "form": form,
        "secret": secret,
        "tokens": request.user.hub_api_tokens.all(),
        "may_create": permissions.is_approved_member(request.user),
        "may_write": may_write,
    }
    return render(request, "hub/tokens.html", context)


def _int_or_none(value: str) -> int | None:
    """A row id from a form, or None for anything else (a huge number would overflow PostgreSQL's bigint)."""
    return int(value) if value.isascii() and value.isdecimal() and len(value) <= 18 else None
