"""Community actions. Routes live on CommunityPage; rules in permissions.py, writes in services.py."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from hub.permissions import is_curator
from hub.pii_guard import PiiBlocked, pii_blocked_record

from . import selectors, services
from .forms import HideForm, PostForm
from .models import CommunityPost, Membership
from .permissions import CommunityViewer, community_viewer

MODERATION_ACTIONS = {"approve", "reject", "promote", "demote"}


def _login(request, community):
    """Sign in first; after a POST come back to the community page (the action itself cannot be replayed by a GET)."""
    target = request.get_full_path() if request.method == "GET" else community.get_url(request)
    return redirect_to_login(target)


def _back(request, default: str):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(default)


def _post_url(community_url: str, post: CommunityPost) -> str:
    return f"{community_url}posts/{post.topic.pk}/#post-{post.pk}"


def _context(request, community, viewer: CommunityViewer, **extra) -> dict:
    return {"page": community, "community": community, "community_url": community.get_url(request), "viewer": viewer, **extra}


def _reader(request, community) -> CommunityViewer | None:
    """The viewer if they may read the community's posts; None means 'send them to sign in'."""
    viewer = community_viewer(request.user, community)
    if not viewer.can_read_feed:
        if not request.user.is_authenticated:
            return None
        raise PermissionDenied(viewer.feed_refusal)
    return viewer


# Membership ---------------------------------------------------------------


@require_POST
def join_view(request, *, community):
    if not request.user.is_authenticated:
        return _login(request, community)
    viewer = community_viewer(request.user, community)
    if viewer.membership is not None:
        messages.info(request, _("이미 가입했거나 가입 신청을 한 커뮤니티입니다."))
        return redirect(community.get_url(request))
    if not viewer.can_join:
        raise PermissionDenied(viewer.join_refusal)
    membership = services.membership_join(community=community, user=request.user)
    if membership.status == Membership.Status.ACTIVE:
        messages.success(request, _("커뮤니티에 가입했습니다."))
    else:
        messages.success(request, _("가입을 신청했습니다. 운영자가 승인하면 글을 쓸 수 있습니다."))
    return redirect(community.get_url(request))


@require_POST
def leave_view(request, *, community):
    if not request.user.is_authenticated:
        return _login(request, community)
    viewer = community_viewer(request.user, community)
    if not viewer.can_leave:
        messages.info(request, _("이 커뮤니티의 회원이 아닙니다."))
        return redirect(community.get_url(request))
    was_pending = viewer.is_pending
    try:
        services.membership_leave(membership=viewer.membership)
    except services.CommunityError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("가입 신청을 취소했습니다.") if was_pending else _("커뮤니티에서 탈퇴했습니다."))
    return redirect(community.get_url(request))


def members_view(request, *, community):
    if (viewer := _reader(request, community)) is None:
        return _login(request, community)
    context = _context(
        request,
        community,
        viewer,
        members=selectors.members_page(community=community, page_number=request.GET.get("page")),
        actions=selectors.viewer_actions(viewer),
        **selectors.members_summary(community=community),
    )
    if viewer.can_moderate_members:
        context["pending_memberships"] = selectors.pending_memberships(community=community)
    return render(request, "communities/members.html", context)


@require_POST
def membership_moderate_view(request, *, community, membership_id: int, action: str):
    if not request.user.is_authenticated:
        return _login(request, community)
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=membership_id, community=community)
    viewer = community_viewer(request.user, community)
    if not viewer.can_moderate_members:
        raise PermissionDenied(_("커뮤니티 운영자만 회원을 관리할 수 있습니다."))
    if action not in MODERATION_ACTIONS:
        raise BadRequest(_("알 수 없는 작업입니다."))
    name = membership.user.get_full_name() or membership.user.get_username()
    try:
        if action == "approve":
            services.membership_approve(membership=membership, by=request.user)
            messages.success(request, _("%(name)s 님의 가입을 승인했습니다.") % {"name": name})
        elif action == "reject":
            services.membership_reject(membership=membership, by=request.user)
            messages.success(request, _("%(name)s 님의 가입 신청을 거절했습니다.") % {"name": name})
        elif action == "promote":
            services.membership_set_role(membership=membership, role=Membership.Role.MODERATOR)
            messages.success(request, _("%(name)s 님을 운영자로 지정했습니다.") % {"name": name})
        else:
            services.membership_set_role(membership=membership, role=Membership.Role.MEMBER)
            messages.success(request, _("%(name)s 님을 일반 회원으로 바꿨습니다.") % {"name": name})
    except services.CommunityError as error:
        messages.error(request, error.message)
    return _back(request, f"{community.get_url(request)}members/")


# Posts --------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def post_create_view(request, *, community):
    if not request.user.is_authenticated:
        return _login(request, community)
    viewer = community_viewer(request.user, community)
    if not viewer.can_post:
        raise PermissionDenied(viewer.post_refusal)
    form = PostForm(request.POST or None, pii_override=is_curator(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            post = services.post_create(community=community, author=request.user, **form.cleaned_data)
        except services.CommunityError as error:
            form.add_error(None, error)
        except PiiBlocked as blocked:
            pii_blocked_record(blocked=blocked, user=request.user, target=community, subject=form.cleaned_data.get("title", ""))
            form.add_error(None, blocked)
        else:
            messages.success(request, _("글을 올렸습니다."))
            return redirect(_post_url(community.get_url(request), post))
    return render(request, "communities/post_form.html", _context(request, community, viewer, form=form))


@require_http_methods(["GET", "POST"])
def post_detail_view(request, *, community, post_id: int):
    """A topic with all its replies; a POST adds a reply (also from the feed's inline forms)."""
    if (viewer := _reader(request, community)) is None:
        return _login(request, community)
    community_url = community.get_url(request)
    post = CommunityPost.objects.filter(pk=post_id, community=community).only("pk", "parent_id", "is_hidden").first()
    if post is None or not viewer.can_see_post(post):
        raise Http404(_("글을 찾을 수 없습니다."))
    if post.parent_id is not None:
        return redirect(f"{community_url}posts/{post.parent_id}/#post-{post.pk}")
    topic = selectors.topic_with_replies(viewer=viewer, post_id=post.pk)
    if topic is None:
        raise Http404(_("글을 찾을 수 없습니다."))
    form = PostForm(request.POST or None, reply=True, auto_id="id_reply_%s", pii_override=is_curator(request.user))
    if request.method == "POST":
        if not viewer.can_post:
            raise PermissionDenied(viewer.post_refusal)
        if form.is_valid():
            try:
                reply = services.post_create(
                    community=community,
                    author=request.user,
                    body=form.cleaned_data["body"],
                    parent=topic,
                    pii_override_reason=form.cleaned_data.get("pii_override_reason", ""),
                )
            except services.CommunityError as error:
                form.add_error(None, error)
            except PiiBlocked as blocked:
                subject = services.post_pii_subject(title="", parent=topic)
                pii_blocked_record(blocked=blocked, user=request.user, target=topic, subject=subject)
                form.add_error(None, blocked)
            else:
                messages.success(request, _("댓글을 달았습니다."))
                return _back(request, _post_url(community_url, reply))
    context = _context(request, community, viewer, topic=topic, form=form, actions=selectors.viewer_actions(viewer))
    return render(request, "communities/post_detail.html", context)


def _editable_post(request, community, post_id: int) -> tuple[CommunityPost, CommunityViewer]:
    post = get_object_or_404(CommunityPost.objects.select_related("parent"), pk=post_id, community=community)
    viewer = community_viewer(request.user, community)
    if not viewer.can_edit_post(post):
        raise PermissionDenied(_("직접 쓴 글만 고치거나 지울 수 있습니다."))
    return post, viewer


@require_http_methods(["GET", "POST"])
def post_edit_view(request, *, community, post_id: int):
    if not request.user.is_authenticated:
        return _login(request, community)
    post, viewer = _editable_post(request, community, post_id)
    is_reply = post.parent_id is not None
    form = PostForm(
        request.POST or None, reply=is_reply, initial={"title": post.title, "body": post.body}, pii_override=is_curator(request.user)
    )
    if request.method == "POST" and form.is_valid():
        title = form.cleaned_data.get("title", "")
        try:
            services.post_update(
                post=post,
                title=title,
                body=form.cleaned_data["body"],
                by=request.user,
                pii_override_reason=form.cleaned_data.get("pii_override_reason", ""),
            )
        except services.CommunityError as error:
            form.add_error(None, error)
        except PiiBlocked as blocked:
            subject = services.post_pii_subject(title=title, parent=post.parent)
            pii_blocked_record(blocked=blocked, user=request.user, target=post, subject=subject)
            form.add_error(None, blocked)
        else:
            messages.success(request, _("글을 고쳤습니다."))
            return redirect(_post_url(community.get_url(request), post))
    return render(request, "communities/post_form.html", _context(request, community, viewer, form=form, post=post))


@require_http_methods(["GET", "POST"])
def post_delete_view(request, *, community, post_id: int):
    if not request.user.is_authenticated:
        return _login(request, community)
    post, viewer = _editable_post(request, community, post_id)
    community_url = community.get_url(request)
    if request.method == "POST":
        topic_id = post.parent_id
        services.post_delete(post=post)
        messages.success(request, _("글을 지웠습니다."))
        return redirect(f"{community_url}posts/{topic_id}/" if topic_id else community_url)
    return render(request, "communities/post_confirm_delete.html", _context(request, community, viewer, post=post))


@require_POST
def post_hide_view(request, *, community, post_id: int):
    if not request.user.is_authenticated:
        return _login(request, community)
    post = get_object_or_404(CommunityPost, pk=post_id, community=community)
    viewer = community_viewer(request.user, community)
    if not viewer.can_hide_posts:
        raise PermissionDenied(_("커뮤니티 운영자만 글을 숨길 수 있습니다."))
    form = HideForm(request.POST)
    if not form.is_valid():
        if "action" in form.errors:
            raise BadRequest(_("알 수 없는 작업입니다."))
        messages.error(request, " ".join(form.errors.get("reason", [])))
    elif form.cleaned_data["action"] == "hide":
        services.post_hide(post=post, by=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("글을 숨겼습니다. 운영자에게만 보입니다."))
    else:
        services.post_unhide(post=post)
        messages.success(request, _("글을 다시 보이게 했습니다."))
    return _back(request, _post_url(community.get_url(request), post))
