from hub import permissions


def hub(request):
    """Role flags every template needs (navigation, badges)."""
    user = request.user
    return {
        "viewer_is_curator": permissions.is_curator(user),
        "viewer_is_approved": permissions.is_approved_member(user),
        "viewer_member": permissions.member_of(user),
        "unread_notifications": _unread_notifications(user),
    }


def _unread_notifications(user):
    """The header badge's count: one COUNT query, only when a template asks and only for approved members."""
    cache: list[int] = []

    def count() -> int:
        if not cache:
            member = permissions.member_of(user)
            if member is None or not permissions.is_approved_member(user):
                cache.append(0)
            else:
                from hub.notifications import notifications_unread_count

                cache.append(notifications_unread_count(member=member))
        return cache[0]

    return count
