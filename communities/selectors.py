"""Reads for community pages. Every list here costs a fixed number of queries whatever its length."""

from __future__ import annotations

from django.core.paginator import Page as PaginatorPage
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from .models import CommunityPage, CommunityPost, Membership
from .permissions import CommunityViewer, community_viewer

TOPICS_PER_PAGE = 20
MEMBERS_PER_PAGE = 50
SIDEBAR_MODERATORS = 5
SIDEBAR_MEMBERS = 12
AUTHOR_RELATED = ("author__member__place__parent",)


def _count(queryset: QuerySet) -> Coalesce:
    counted = queryset.order_by().values("community").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def community_list(*, parent, user) -> QuerySet:
    """Live communities under `parent` with member and post counts, latest activity and the user's own membership."""
    communities = CommunityPage.objects.child_of(parent).live()
    own = Membership.objects.filter(community=OuterRef("pk"), user=user) if user.is_authenticated else Membership.objects.none()
    return (
        communities.annotate(
            member_count=_count(Membership.objects.active().filter(community=OuterRef("pk"))),
            post_count=_count(CommunityPost.objects.shown().filter(community=OuterRef("pk"))),
            latest_activity=Subquery(
                CommunityPost.objects.shown().filter(community=OuterRef("pk")).order_by("-created_at").values("created_at")[:1]
            ),
            viewer_status=Subquery(own.values("status")[:1]),
            viewer_role=Subquery(own.values("role")[:1]),
        )
        .prefetch_related("sectors", "technologies")
        .order_by("title")
    )


def posts_for(viewer: CommunityViewer) -> QuerySet:
    """The community's posts this viewer may see: hidden ones only for those who may unhide them."""
    posts = CommunityPost.objects.filter(community=viewer.community)
    if not viewer.can_hide_posts:
        posts = posts.shown()
    return posts


def topic_queryset(viewer: CommunityViewer) -> QuerySet:
    replies = posts_for(viewer).select_related(*AUTHOR_RELATED).order_by("created_at", "pk")
    return (
        posts_for(viewer)
        .topics()
        .select_related(*AUTHOR_RELATED)
        .prefetch_related(Prefetch("replies", queryset=replies, to_attr="shown_replies"))
        .order_by("-created_at", "-pk")
    )


def _mark_permissions(viewer: CommunityViewer, topics) -> None:
    """Per-post flags for the templates, decided by the permission rules without more queries."""
    for topic in topics:
        topic.viewer_can_edit = viewer.can_edit_post(topic)
        for reply in getattr(topic, "shown_replies", []):
            reply.viewer_can_edit = viewer.can_edit_post(reply)


def feed_page(*, viewer: CommunityViewer, page_number) -> PaginatorPage:
    page = Paginator(topic_queryset(viewer), TOPICS_PER_PAGE).get_page(page_number)
    _mark_permissions(viewer, page.object_list)
    return page


def topic_with_replies(*, viewer: CommunityViewer, post_id: int) -> CommunityPost | None:
    """One topic with all the replies this viewer may see; None if it does not exist or is hidden from them."""
    topic = topic_queryset(viewer).filter(pk=post_id).first()
    if topic is not None:
        _mark_permissions(viewer, [topic])
    return topic


def members_summary(*, community: CommunityPage) -> dict:
    counts = Membership.objects.filter(community=community).aggregate(
        members=Count("pk", filter=Q(status=Membership.Status.ACTIVE)),
        moderators=Count("pk", filter=Q(status=Membership.Status.ACTIVE, role=Membership.Role.MODERATOR)),
        pending=Count("pk", filter=Q(status=Membership.Status.PENDING)),
    )
    active = Membership.objects.active().filter(community=community).select_related("user__member__place__parent")
    return {
        "member_count": counts["members"],
        "moderator_count": counts["moderators"],
        "pending_count": counts["pending"],
        "moderators": list(active.filter(role=Membership.Role.MODERATOR).order_by("created_at", "pk")[:SIDEBAR_MODERATORS]),
        "recent_members": list(active.filter(role=Membership.Role.MEMBER).order_by("-created_at", "-pk")[:SIDEBAR_MEMBERS]),
    }


def pending_memberships(*, community: CommunityPage) -> list[Membership]:
    return list(
        Membership.objects.pending().filter(community=community).select_related("user__member__place__parent").order_by("created_at", "pk")
    )


def members_page(*, community: CommunityPage, page_number) -> PaginatorPage:
    memberships = (
        Membership.objects.active()
        .filter(community=community)
        .select_related("user__member__place__parent")
        .order_by("-role", "created_at", "pk")  # moderators first ("moderator" > "member")
    )
    return Paginator(memberships, MEMBERS_PER_PAGE).get_page(page_number)


def related_cases(*, community: CommunityPage, user) -> list:
    from cases.models import CaseStudyPage

    return list(
        CaseStudyPage.objects.visible_to(user)
        .filter(communities=community)
        .select_related("lead_place__parent", "sector")
        .order_by("title")
    )


def viewer_actions(viewer: CommunityViewer) -> dict:
    return {
        "can_read_feed": viewer.can_read_feed,
        "can_join": viewer.can_join,
        "can_leave": viewer.can_leave,
        "can_post": viewer.can_post,
        "can_hide_posts": viewer.can_hide_posts,
        "can_moderate_members": viewer.can_moderate_members,
        "is_pending": viewer.is_pending,
        "is_active_member": viewer.is_active_member,
        "is_moderator": viewer.is_moderator,
        "needs_approval": viewer.is_authenticated and not viewer.is_approved,
    }


def community_page_context(*, community: CommunityPage, request) -> dict:
    viewer = community_viewer(request.user, community)
    context = {
        "viewer": viewer,
        "membership": viewer.membership,
        "actions": viewer_actions(viewer),
        "community_url": community.get_url(request),
        "related_cases": related_cases(community=community, user=request.user),
        "sectors": list(community.sectors.all()),
        "technologies": list(community.technologies.all()),
        **members_summary(community=community),
    }
    if viewer.can_read_feed:
        context["topics"] = feed_page(viewer=viewer, page_number=request.GET.get("page"))
    else:
        context["feed_refusal"] = viewer.feed_refusal
    if viewer.can_moderate_members:
        context["pending_memberships"] = pending_memberships(community=community)
    return context
