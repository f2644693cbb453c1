from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from hub import permissions
from hub.pii_guard import PiiBlocked, pii_blocked_record

from . import selectors, services
from .forms import ProjectLogEntryForm
from .models import CaseStudyPage, ProjectLogEntry


def _require_case_manager(request, case):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not permissions.can_manage_case(request.user, case):
        raise PermissionDenied(_("이 사례의 지자체 담당자만 로그를 쓸 수 있습니다."))
    return None


def log_entry_create_view(request, *, case):
    if (denied := _require_case_manager(request, case)) is not None:
        return denied
    form = ProjectLogEntryForm(request.POST or None, pii_override=permissions.is_curator(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.log_entry_create(case=case, author=request.user, **form.cleaned_data)
        except PiiBlocked as blocked:
            pii_blocked_record(blocked=blocked, user=request.user, target=case, subject=form.cleaned_data["title"])
            form.add_error(None, blocked)
        else:
            messages.success(request, _("프로젝트 로그를 남겼습니다."))
            return redirect(f"{case.url}#log-{entry.pk}")
    return render(request, "cases/log_entry_form.html", {"form": form, "case": case, "page": case})


def log_entry_edit_view(request, *, case, entry_id: int):
    entry = get_object_or_404(ProjectLogEntry, pk=entry_id, case=case)
    if (denied := _require_case_manager(request, case)) is not None:
        return denied
    if not entry.can_edit(request.user):
        raise PermissionDenied(_("직접 쓴 로그만 고칠 수 있습니다."))
    form = ProjectLogEntryForm(request.POST or None, instance=entry, pii_override=permissions.is_curator(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            services.log_entry_update(entry=entry, by=request.user, **form.cleaned_data)
        except PiiBlocked as blocked:
            pii_blocked_record(blocked=blocked, user=request.user, target=entry, subject=form.cleaned_data["title"])
            form.add_error(None, blocked)
        else:
            messages.success(request, _("로그를 고쳤습니다."))
            return redirect(f"{case.url}#log-{entry.pk}")
    return render(request, "cases/log_entry_form.html", {"form": form, "case": case, "entry": entry, "page": case})


def log_entry_delete_view(request, *, case, entry_id: int):
    entry = get_object_or_404(ProjectLogEntry, pk=entry_id, case=case)
    if (denied := _require_case_manager(request, case)) is not None:
        return denied
    if not entry.can_edit(request.user):
        raise PermissionDenied(_("직접 쓴 로그만 지울 수 있습니다."))
    if request.method == "POST":
        services.log_entry_delete(entry=entry)
        messages.success(request, _("로그를 지웠습니다."))
        return redirect(case.url)
    return render(request, "cases/log_entry_confirm_delete.html", {"entry": entry, "case": case, "page": case})


def log_feed_view(request):
    kind = request.GET.get("kind", "")
    page = selectors.log_feed_page(user=request.user, page_number=request.GET.get("page"), kind=kind)
    return render(request, "cases/log_feed.html", {"entries": page, "kind": kind, "kinds": ProjectLogEntry.Kind.choices})


def _adopter_case_from(value: str):
    """The case picked in the adoption form: None when none was picked; raises AdoptionRefused for an unknown one."""
    if not value:
        return None
    case = CaseStudyPage.objects.filter(pk=int(value)).first() if value.isdigit() and len(value) <= 12 else None
    if case is None:
        raise services.AdoptionRefused(_("고른 사례를 찾을 수 없습니다."))
    return case


def _adoption_post_check(request, *, case):
    """Both adoption forms only POST; a visitor is sent to sign in and back to the case."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not request.user.is_authenticated:
        return redirect_to_login(case.url)
    return None


def adoption_record_view(request, *, case):
    if (answer := _adoption_post_check(request, case=case)) is not None:
        return answer
    try:
        adopter_case = _adopter_case_from(request.POST.get("adopter_case", "").strip())
        adoption = services.adoption_record(
            source_case=case, user=request.user, adopter_case=adopter_case, note=request.POST.get("note", "")
        )
    except services.AdoptionRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("%(place)s의 도입을 기록했습니다.") % {"place": adoption.adopter_place.full_name})
    return redirect(f"{case.url}#adoption")


def adoption_case_start_view(request, *, case):
    if (answer := _adoption_post_check(request, case=case)) is not None:
        return answer
    try:
        draft = services.adoption_case_start(source_case=case, user=request.user)
    except services.AdoptionRefused as refused:
        messages.error(request, str(refused))
        return redirect(f"{case.url}#adoption")
    messages.success(request, _("이 사례를 바탕으로 초안을 만들었습니다. 우리 지자체에 맞게 고쳐 주세요."))
    return redirect("wagtailadmin_pages:edit", draft.pk)
