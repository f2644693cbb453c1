"""Digests and in-app notifications: what each member was told, when, and why (DESIGN.md §3, §5).

A `Digest` is one e-mail for one (member, frequency, period): created, with its items, before anything is sent, and
marked sent after, so a run that crashes and runs again sends what is missing and nothing twice. `DigestSentItem`
remembers every index document a member has been sent, so a later digest never repeats one. A `DigestRun` counts
what one scheduled or manual run did (sent, empty, failed, unsubscribed). `Notification` is the in-app side of the
same matching: one row per member and entry key, unread until the member reads it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .interests import DigestFrequency


class DigestRun(models.Model):
    """One run of the digest builder for one frequency and period (scheduled, or `send_digests`)."""

    frequency = models.CharField(_("주기"), max_length=8, choices=DigestFrequency.choices)
    period_start = models.DateTimeField(_("기간 시작"))
    period_end = models.DateTimeField(_("기간 끝"))
    started_at = models.DateTimeField(_("시작"), auto_now_add=True)
    finished_at = models.DateTimeField(_("끝"), null=True, blank=True)
    members = models.PositiveIntegerField(_("대상 회원"), default=0)
    sent = models.PositiveIntegerField(_("보냄"), default=0)
    empty = models.PositiveIntegerField(_("보낼 것 없음"), default=0)
    failed = models.PositiveIntegerField(_("실패"), default=0)
    unsubscribed = models.PositiveIntegerField(_("수신 거부"), default=0)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("소식 메일 발송 회차")
        verbose_name_plural = _("소식 메일 발송 회차")

    def __str__(self) -> str:
        return f"{self.get_frequency_display()} {self.period_start:%Y-%m-%d %H:%M}–{self.period_end:%Y-%m-%d %H:%M}"


class Digest(models.Model):
    """One digest e-mail: unique per (member, frequency, period start)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("보내는 중")
        SENT = "sent", _("보냄")
        EMPTY = "empty", _("보낼 것 없음")
        FAILED = "failed", _("실패")
        BOUNCED = "bounced", _("반송")

    member = models.ForeignKey("hub.Member", on_delete=models.CASCADE, related_name="digests")
    run = models.ForeignKey(DigestRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="digests")
    frequency = models.CharField(_("주기"), max_length=8, choices=DigestFrequency.choices)
    period_start = models.DateTimeField(_("기간 시작"))
    period_end = models.DateTimeField(_("기간 끝"))
    status = models.CharField(_("상태"), max_length=8, choices=Status.choices, default=Status.PENDING)
    language = models.CharField(_("언어"), max_length=2, default="ko")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(_("보낸 시각"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("시도 횟수"), default=0)
    error = models.TextField(_("오류"), blank=True)
    message_id = models.CharField(_("메시지 ID"), max_length=255, blank=True)

    class Meta:
        ordering = ["-period_start", "-pk"]
        verbose_name = _("소식 메일")
        verbose_name_plural = _("소식 메일")
        constraints = [
            models.UniqueConstraint(fields=["member", "frequency", "period_start"], name="hub_digest_once_per_period"),
        ]
        indexes = [models.Index(fields=["status", "frequency", "period_start"], name="hub_digest_status_idx")]

    def __str__(self) -> str:
        return f"{self.member} · {self.get_frequency_display()} {self.period_start:%Y-%m-%d}"


class DigestItem(models.Model):
    """One entry of a digest as it was sent: a document, or a group (several posts of one followed community)."""

    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    key = models.CharField(max_length=80)  # the entry key: a document id ("case:12") or a group ("community_activity:4")
    type = models.CharField(max_length=20)
    title = models.CharField(max_length=300)
    url = models.CharField(max_length=500)
    region = models.CharField(max_length=10, blank=True)
    municipality = models.CharField(max_length=40, blank=True)
    reasons = models.JSONField(default=list)  # [{"code": "technology", "value": "iot", "text": "관심 기술 IoT와 일치"}]
    count = models.PositiveIntegerField(default=1)
    document_ids = models.JSONField(default=list)  # every index document the entry stands for
    published_at = models.DateTimeField(null=True, blank=True)
    score = models.FloatField(default=0.0)

    class Meta:
        ordering = ["digest", "position"]
        constraints = [models.UniqueConstraint(fields=["digest", "position"], name="hub_digest_item_position")]

    def __str__(self) -> str:
        return self.title


class DigestSentItem(models.Model):
    """An index document a member has been sent in a digest; a later digest leaves it out."""

    member = models.ForeignKey("hub.Member", on_delete=models.CASCADE, related_name="digest_sent_items")
    document_id = models.CharField(max_length=40)
    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="sent_items")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "document_id"], name="hub_digest_sent_once")]

    def __str__(self) -> str:
        return f"{self.member} · {self.document_id}"


class Notification(models.Model):
    """An in-app notification: one per (member, entry key); new activity on the same key makes it unread again."""

    member = models.ForeignKey("hub.Member", on_delete=models.CASCADE, related_name="notifications")
    key = models.CharField(max_length=80)
    type = models.CharField(max_length=20)
    title = models.CharField(max_length=300)
    url = models.CharField(max_length=500)
    region = models.CharField(max_length=10, blank=True)
    municipality = models.CharField(max_length=40, blank=True)
    reasons = models.JSONField(default=list)
    count = models.PositiveIntegerField(default=1)
    document_ids = models.JSONField(default=list)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        verbose_name = _("알림")
        verbose_name_plural = _("알림")
        constraints = [models.UniqueConstraint(fields=["member", "key"], name="hub_notification_once_per_key")]
        indexes = [models.Index(fields=["member", "read_at"], name="hub_notification_unread_idx")]

    def __str__(self) -> str:
        return f"{self.member} · {self.title}"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None
