from hub import permissions


def hub(request):
    """Role flags every template needs (navigation, badges)."""
    user = request.user
    return {
        "viewer_is_curator": permissions.is_curator(user),
        "viewer_is_approved": permissions.is_approved_member(user),
        "viewer_member": permissions.member_of(user),
    }
