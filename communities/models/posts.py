from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CommunityPostQuerySet(models.QuerySet):
    def shown(self):
        return self.filter(is_hidden=False)

    def topics(self):
        return self.filter(parent__isnull=True)


class CommunityPost(models.Model):
    """An update or question in a community (parent empty) or a reply to one. Body is Markdown."""

    community = models.ForeignKey("communities.CommunityPage", on_delete=models.CASCADE, related_name="posts")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="community_posts")
    title = models.CharField(_("제목"), max_length=200, blank=True)
    body = models.TextField(_("내용"), help_text=_("Markdown"))
    created_at = models.DateTimeField(_("작성 일시"), db_index=True)
    updated_at = models.DateTimeField(_("수정 일시"), auto_now=True)
    is_hidden = models.BooleanField(_("숨김"), default=False)
    hidden_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.CharField(_("숨긴 이유"), max_length=200, blank=True)

    objects = CommunityPostQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["community", "parent", "-created_at"])]
        verbose_name = _("커뮤니티 글")
        verbose_name_plural = _("커뮤니티 글")

    def __str__(self) -> str:
        return self.title or self.body[:40]

    @property
    def topic(self) -> "CommunityPost":
        return self.parent or self
