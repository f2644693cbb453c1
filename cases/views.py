from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from hub import permissions
from hub.pii_guard import PiiBlocked, pii_blocked_record

from . import selectors, services
from .forms import ProjectLogEntryForm
from .models import ProjectLogEntry


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
