"""The curators' list of PII warnings: publications the guard refused and the ones a curator let through."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _

from hub import permissions
from hub.models import PiiFlag
from hub.pii_guard import pii_flags_page


@login_required
def pii_flags_view(request):
    if not permissions.is_curator(request.user):
        raise PermissionDenied(_("큐레이터만 개인정보 경고를 볼 수 있습니다."))
    outcome = request.GET.get("outcome", "")
    if outcome and outcome not in PiiFlag.Outcome.values:
        return HttpResponseBadRequest(_("알 수 없는 처리 구분입니다: %(value)s") % {"value": outcome[:40]})
    page = pii_flags_page(outcome=outcome, page_number=request.GET.get("page"))
    context = {
        "page_obj": page,
        "outcome": outcome,
        "outcomes": PiiFlag.Outcome.choices,
        "query": f"outcome={outcome}" if outcome else "",
    }
    return render(request, "hub/pii_flags.html", context)
