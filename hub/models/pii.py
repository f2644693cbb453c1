from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class PiiFlagQuerySet(models.QuerySet):
    def for_display(self):
        return self.select_related("user__member", "content_type").order_by("-created_at", "-pk")


class PiiFlag(models.Model):
    """Personal data the guard found in something about to be published: either publication was refused, or a curator
    published it anyway and gave a reason. Findings are stored masked, so this table never becomes a copy of the data
    it protects."""

    class Outcome(models.TextChoices):
        BLOCKED = "blocked", _("게시 차단")
        OVERRIDDEN = "overridden", _("경고 무시 후 게시")

    outcome = models.CharField(_("처리"), max_length=12, choices=Outcome.choices)
    # What it is about: the saved item, or for a refused new item the case or community it was meant for.
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    object_id = models.CharField(max_length=64, blank=True)
    content_object = GenericForeignKey("content_type", "object_id")
    subject = models.CharField(_("대상"), max_length=255, help_text=_("글·로그·사례의 제목 또는 설명"))
    findings = models.JSONField(_("발견 내용"), default=list, help_text=_("[{type, field, masked, confidence}], 가린 형태로만 저장"))
    fingerprint = models.CharField(max_length=64, help_text=_("같은 시도를 한 번만 기록하기 위한 값"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("사용자"), null=True, on_delete=models.SET_NULL, related_name="pii_flags"
    )
    reason = models.TextField(_("경고 무시 사유"), blank=True)
    created_at = models.DateTimeField(_("일시"), auto_now_add=True)

    objects = PiiFlagQuerySet.as_manager()

    class Meta:
        verbose_name = _("개인정보 경고")
        verbose_name_plural = _("개인정보 경고")
        indexes = [models.Index(fields=["-created_at"]), models.Index(fields=["outcome", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()}: {self.subject}"
