from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A member's key to the JSON API (`Authorization: Bearer <token>`); issued and checked by hub/api_auth.py.

    Only a hash of the token is stored: the token itself is shown once, when it is made. The prefix is kept in clear
    so the owner can tell their tokens apart and the API can find the row without scanning hashes.
    """

    class Scope(models.TextChoices):
        READ = "read", _("읽기")
        WRITE = "write", _("읽기·쓰기")

    # "hub_api_tokens": Wagtail 8 has an APIToken model of its own that takes "api_tokens".
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("사용자"), on_delete=models.CASCADE, related_name="hub_api_tokens")
    name = models.CharField(_("이름"), max_length=100, help_text=_("어디에 쓰는 토큰인지 알아볼 수 있게 적어 주세요."))
    scope = models.CharField(_("권한"), max_length=8, choices=Scope.choices, default=Scope.READ)
    key_prefix = models.CharField(_("토큰 앞부분"), max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64, help_text="sha256 of the whole token, hex")
    created_at = models.DateTimeField(_("만든 시각"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("마지막 사용"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("폐기 시각"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API 토큰")
        verbose_name_plural = _("API 토큰")

    def __str__(self) -> str:
        return f"{self.key_prefix}… ({self.name})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
