from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.models import Page
from wagtail.search import index


class CommunityIndexPage(Page):
    intro = models.TextField(_("소개"), blank=True, help_text=_("Markdown"))

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["communities.CommunityPage"]
    parent_page_types = ["hub.HomePage"]
    max_count = 1

    class Meta:
        verbose_name = _("커뮤니티 목록")

    def get_context(self, request, *args, **kwargs):
        from communities.selectors import community_list

        context = super().get_context(request, *args, **kwargs)
        context["communities"] = community_list(parent=self, user=request.user)
        return context


class CommunityPage(RoutablePageMixin, Page):
    """A community of practice: its feed, members and related cases. Posts are written on the public site."""

    class JoinPolicy(models.TextChoices):
        OPEN = "open", _("누구나 가입")
        APPROVAL = "approval", _("운영자 승인 후 가입")

    class PostVisibility(models.TextChoices):
        PUBLIC = "public", _("전체 공개")
        MEMBERS = "members", _("승인된 회원")
        COMMUNITY = "community", _("커뮤니티 회원만")

    description = models.TextField(_("소개"), help_text=_("Markdown"))
    join_policy = models.CharField(_("가입 방식"), max_length=10, choices=JoinPolicy.choices, default=JoinPolicy.OPEN)
    post_visibility = models.CharField(_("글 공개 범위"), max_length=10, choices=PostVisibility.choices, default=PostVisibility.PUBLIC)
    sectors = ParentalManyToManyField("cases.Sector", verbose_name=_("관련 분야"), blank=True, related_name="communities")
    technologies = ParentalManyToManyField("cases.Technology", verbose_name=_("관련 기술"), blank=True, related_name="communities")
    related_cases = ParentalManyToManyField("cases.CaseStudyPage", verbose_name=_("관련 사례"), blank=True, related_name="communities")

    content_panels = [
        *Page.content_panels,
        FieldPanel("description"),
        MultiFieldPanel([FieldPanel("join_policy"), FieldPanel("post_visibility")], heading=_("운영")),
        MultiFieldPanel([FieldPanel("sectors"), FieldPanel("technologies"), FieldPanel("related_cases")], heading=_("주제")),
    ]
    search_fields = [*Page.search_fields, index.SearchField("description")]
    parent_page_types = ["communities.CommunityIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("커뮤니티")
        verbose_name_plural = _("커뮤니티")

    def get_context(self, request, *args, **kwargs):
        from communities.selectors import community_page_context

        context = super().get_context(request, *args, **kwargs)
        context.update(community_page_context(community=self, request=request))
        return context

    @path("")
    def feed(self, request):
        return self.render(request)

    @path("join/")
    def join(self, request):
        from communities import views

        return views.join_view(request, community=self)

    @path("leave/")
    def leave(self, request):
        from communities import views

        return views.leave_view(request, community=self)

    @path("members/")
    def members(self, request):
        from communities import views

        return views.members_view(request, community=self)

    @path("posts/new/")
    def post_create(self, request):
        from communities import views

        return views.post_create_view(request, community=self)

    @path("posts/<int:post_id>/")
    def post_detail(self, request, post_id):
        from communities import views

        return views.post_detail_view(request, community=self, post_id=post_id)

    @path("posts/<int:post_id>/edit/")
    def post_edit(self, request, post_id):
        from communities import views

        return views.post_edit_view(request, community=self, post_id=post_id)

    @path("posts/<int:post_id>/delete/")
    def post_delete(self, request, post_id):
        from communities import views

        return views.post_delete_view(request, community=self, post_id=post_id)

    @path("posts/<int:post_id>/hide/")
    def post_hide(self, request, post_id):
        from communities import views

        return views.post_hide_view(request, community=self, post_id=post_id)

    @path("memberships/<int:membership_id>/<str:action>/")
    def membership_moderate(self, request, membership_id, action):
        from communities import views

        return views.membership_moderate_view(request, community=self, membership_id=membership_id, action=action)
