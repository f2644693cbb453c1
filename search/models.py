"""The indexing outbox and the stored index documents (DESIGN.md §3).

`IndexOutboxEntry` rows are written in the same transaction as the change they describe (search/signals.py), so a
change is never committed without its note to the index. `SearchDocument` holds each searchable item's index
document with its analysed terms, so a reindex moves stored documents and never runs Kiwi again.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IndexOutboxEntry(models.Model):
    """'Document <doc_id> may have changed': the indexer rebuilds it from the database and sends or deletes it."""

    doc_id = models.CharField(_("문서"), max_length=40, db_index=True)
    created_at = models.DateTimeField(_("기록 일시"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("시도 횟수"), default=0)
    next_attempt_at = models.DateTimeField(_("다음 시도"), default=timezone.now)
    last_error = models.TextField(_("마지막 오류"), blank=True)

    class Meta:
        verbose_name = _("색인 대기열")
        verbose_name_plural = _("색인 대기열")
        indexes = [models.Index(fields=["next_attempt_at", "id"])]

    def __str__(self) -> str:
        return self.doc_id


class SearchDocument(models.Model):
    """The last document built for a searchable item, terms included; `version` orders writes to the index."""

    doc_id = models.CharField(_("문서"), max_length=40, primary_key=True)
    type = models.CharField(_("종류"), max_length=16, db_index=True)
    version = models.BigIntegerField(_("버전"))
    source = models.JSONField(_("문서 내용"))
    updated_at = models.DateTimeField(_("갱신 일시"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("검색 문서")
        verbose_name_plural = _("검색 문서")

    def __str__(self) -> str:
        return self.doc_id
