from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hub import permissions


class ProjectLogEntryQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Entries of published cases the user may open."""
        from .pages import CaseStudyPage

        return self.filter(case__in=CaseStudyPage.objects.visible_to(user))

    def for_display(self):
        return self.select_related("author__member", "new_stage", "previous_stage", "case")


class ProjectLogEntry(models.Model):
    """A dated update on a case, written by its team; a stage change moves the case's stage."""

    class Kind(models.TextChoices):
        PROGRESS = "progress", _("진행 상황")
        MILESTONE = "milestone", _("주요 성과")
        LESSON = "lesson", _("교훈")
        STAGE_CHANGE = "stage_change", _("단계 변경")

    case = models.ForeignKey("cases.CaseStudyPage", verbose_name=_("사례"), on_delete=models.CASCADE, related_name="log_entries")
    date = models.DateField(_("날짜"))
    kind = models.CharField(_("종류"), max_length=16, choices=Kind.choices, default=Kind.PROGRESS)
    title = models.CharField(_("제목"), max_length=200)
    body = models.TextField(_("내용"), blank=True, help_text=_("Markdown"))
    new_stage = models.ForeignKey(
        "cases.Stage", verbose_name=_("새 단계"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    previous_stage = models.ForeignKey("cases.Stage", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("작성자"), null=True, on_delete=models.SET_NULL, related_name="log_entries"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProjectLogEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-created_at"]
        verbose_name = _("프로젝트 로그")
        verbose_name_plural = _("프로젝트 로그")
        indexes = [models.Index(fields=["case", "-date"]), models.Index(fields=["-date"])]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.title}"

    def can_edit(self, user) -> bool:
        return permissions.can_manage_case(user, self.case) and (self.author_id == user.pk or permissions.is_curator(user))
