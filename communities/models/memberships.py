from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MembershipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=Membership.Status.ACTIVE)

    def pending(self):
        return self.filter(status=Membership.Status.PENDING)


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", _("회원")
        MODERATOR = "moderator", _("운영자")

    class Status(models.TextChoices):
        PENDING = "pending", _("승인 대기")
        ACTIVE = "active", _("활동 중")

    community = models.ForeignKey("communities.CommunityPage", on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="community_memberships")
    role = models.CharField(_("역할"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(_("상태"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["community", "user"], name="unique_membership")]
        verbose_name = _("커뮤니티 멤버십")
        verbose_name_plural = _("커뮤니티 멤버십")

    def __str__(self) -> str:
        return f"{self.user} @ {self.community}"

    @property
    def is_moderator(self) -> bool:
        return self.role == self.Role.MODERATOR and self.status == self.Status.ACTIVE
