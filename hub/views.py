from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hub import permissions, selectors, services
from hub.forms import MemberSettingsForm, SignupForm
from hub.markdown import render_markdown
from hub.models import Member

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


@login_required
def settings_view(request):
    member = permissions.member_of(request.user)
    if member is None:
        messages.info(request, _("이 계정에는 회원 정보가 없습니다. 관리 화면을 이용하세요."))
        return redirect("/admin/")
    form = MemberSettingsForm(request.POST or None, instance=member)
    if request.method == "POST" and form.is_valid():
        form.save()
        response = redirect("hub:settings")
        # The chosen language takes effect at once, also over an earlier switch in the header.
        response.delete_cookie("django_language")
        messages.success(request, _("설정을 저장했습니다."))
        return response
    return render(request, "hub/settings.html", {"form": form, "member": member})


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
