"""The member's notifications page, its POST actions, the opening redirect, and the secret Atom feed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hub import notifications, permissions
from hub.interests import interests_ensure
from search.service import SearchUnavailable

PAGE_SIZE = 20
FEED_SIZE = 50


def _approved_member(request):
    """The signed-in approved member, or PermissionDenied (a pending account has nothing matched for it yet)."""
    member = permissions.member_of(request.user)
    if member is None or not permissions.is_approved_member(request.user):
        raise PermissionDenied(_("승인된 회원만 알림을 받을 수 있습니다."))
    return member


@never_cache  # the page shows the secret feed address
@login_required
def notifications_view(request):
    member = _approved_member(request)
    try:
        notifications.notifications_refresh_if_stale(member=member)
    except SearchUnavailable:
        messages.warning(request, _("검색 서비스에 연결할 수 없어 새 알림을 가져오지 못했습니다. 지금까지 받은 알림을 보여 드립니다."))
    interests = interests_ensure(member=member)
    page = Paginator(notifications.notifications_of(member=member), PAGE_SIZE).get_page(request.GET.get("page"))
    for notification in page.object_list:
        notifications.notification_describe(notification)
    context = {
        "page_obj": page,
        "unread": notifications.notifications_unread_count(member=member),
        "feed_url": request.build_absolute_uri(reverse("notification_feed", args=[interests.feed_token])),
    }
    return render(request, "hub/notifications.html", context)


def _back_to_list(request):
    page = request.POST.get("page", "")
    page = int(page) if page.isascii() and page.isdecimal() and len(page) <= 9 else None
    url = reverse("hub:notifications")
    return redirect(f"{url}?page={page}" if page and page > 1 else url)


@require_POST
@login_required
def notification_read_view(request, notification_id: int):
    member = _approved_member(request)
    if notifications.notification_mark_read(member=member, notification_id=notification_id) is None:
        raise Http404(_("알림이 없습니다."))
    return _back_to_list(request)


@require_POST
@login_required
def notifications_read_all_view(request):
    member = _approved_member(request)
    count = notifications.notifications_mark_all_read(member=member)
    messages.success(request, _("알림 %(count)s개를 읽음으로 표시했습니다.") % {"count": count})
    return _back_to_list(request)


@login_required
def notification_open_view(request, notification_id: int):
    """Follow a notification's link: it is read from now on."""
    member = _approved_member(request)
    notification = notifications.notification_mark_read(member=member, notification_id=notification_id)
    if notification is None:
        raise Http404(_("알림이 없습니다."))
    return redirect(notifications.notification_safe_url(notification.url))


@require_POST
@login_required
def feed_token_rotate_view(request):
    member = _approved_member(request)
    notifications.feed_token_rotate(member=member)
    messages.success(request, _("알림 피드 주소를 새로 만들었습니다. 이전 주소는 더 이상 열리지 않습니다."))
    return redirect(f"{reverse('hub:notifications')}#feed")


class NotificationFeed(Feed):
    """A member's notifications as Atom, behind the secret token in its URL (feed readers do not sign in)."""

    feed_type = Atom1Feed

    def __call__(self, request, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex"
        response["Cache-Control"] = "private, no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response

    def get_object(self, request, token):
        member = notifications.feed_member_get(token=token)
        if member is None:
            raise Http404(_("알림 피드를 찾을 수 없습니다. 주소가 바뀌었다면 알림 화면에서 새 주소를 확인하세요."))
        return member

    def title(self, obj):
        return _("가치허브 알림: %(name)s") % {"name": obj.display_name}

    def subtitle(self, obj):
        return _("관심사와 팔로우에 맞는 다른 지자체의 새 소식")

    def link(self, obj):
        return reverse("hub:notifications")

    def items(self, obj):
        return [notifications.notification_describe(n) for n in notifications.notifications_of(member=obj)[:FEED_SIZE]]

    def item_title(self, item):
        if item.type == notifications.GROUP_TYPE and item.count > 1:
            return _("%(title)s: 새 글 %(count)s개") % {"title": item.title, "count": item.count}
        return item.title

    def item_description(self, item):
        facts = " · ".join(filter(None, [item.type_label, item.place_label]))
        reasons = format_html_join("", "<li>{}</li>", ((text,) for text in item.reason_texts))
        return format_html("<p>{}</p><ul>{}</ul>", facts, reasons)

    def item_link(self, item):
        return item.safe_url

    def item_guid(self, item):
        return f"notification:{item.pk}:{item.updated_at:%Y%m%d%H%M%S}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.published_at or item.updated_at

    def item_updateddate(self, item):
        return item.updated_at
