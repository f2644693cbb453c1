"""The unsubscribe link of digest e-mails (RFC 8058 one-click). Anyone holding the signed link may use it."""

from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from hub import digests


# Mail clients POST the List-Unsubscribe URL with no cookie and no CSRF token (RFC 8058); the signed token is what
# proves the request. A GET only asks: link scanners open every link of a message and must not unsubscribe anyone.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def digest_unsubscribe_view(request, token: str):
    try:
        member = digests.digest_token_member(token=token)
    except digests.DigestTokenError as error:
        return render(request, "hub/unsubscribe_invalid.html", {"message": str(error)}, status=400)
    with translation.override(member.language):
        if request.method == "POST":
            changed = digests.digest_unsubscribe(member=member)
            context = {"member": member, "changed": changed, "preferences_url": digests.digest_preferences_url()}
            return render(request, "hub/unsubscribe_done.html", context)
        return render(request, "hub/unsubscribe.html", {"member": member})
