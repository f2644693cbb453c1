"""{% follow_button target %}: the follower count and a 팔로우 / 팔로우 취소 button (POST + CSRF, no script)."""

from django import template

from hub.interests import follow_state
from hub.models import Follow, Member

register = template.Library()


@register.inclusion_tag("hub/includes/follow_button.html", takes_context=True)
def follow_button(context, target):
    request = context["request"]
    from cases.models import CaseStudyPage

    if isinstance(target, Member):
        kind, target_id = Follow.Kind.MEMBER, target.user_id  # members are addressed by user id, as their profile URL
    else:
        kind, target_id = (Follow.Kind.CASE if isinstance(target, CaseStudyPage) else Follow.Kind.COMMUNITY), target.pk
    return {
        **follow_state(target=target, viewer=request.user),
        "kind": kind,
        "target_id": target_id,
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
        "signed_in": request.user.is_authenticated,
    }
