"""What the national agency adds to cases (issue 5): featuring, awards, adoption between municipalities, provenance
of cases harvested from peer hubs. The workflows that write these live in cases/services.py and the admin."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .taxonomy import Term


class Award(Term):
    """A distinction curators give cases, e.g. 우수사례 (best practice); shown on the case and filterable in search."""

    description = models.TextField(_("설명"), blank=True)

    class Meta(Term.Meta):
        verbose_name = _("시상")
        verbose_name_plural = _("시상")


class CaseAward(models.Model):
    case = models.ForeignKey("cases.CaseStudyPage", verbose_name=_("사례"), on_delete=models.CASCADE, related_name="awards")
    award = models.ForeignKey(Award, verbose_name=_("시상"), on_delete=models.PROTECT, related_name="case_awards")
    year = models.PositiveSmallIntegerField(_("연도"))
    note = models.CharField(_("메모"), max_length=300, blank=True)
    given_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    given_at = models.DateTimeField(_("수여 일시"), auto_now_add=True)

    class Meta:
        verbose_name = _("사례 시상")
        verbose_name_plural = _("사례 시상")
        constraints = [models.UniqueConstraint(fields=["case", "award", "year"], name="unique_case_award_year")]

    def __str__(self) -> str:
        return f"{self.award} {self.year}"


class Adoption(models.Model):
    """ "우리 지자체도 도입했어요": `adopter_place` adopted what `source_case` did, optionally as its own `adopter_case`."""

    source_case = models.ForeignKey(
        "cases.CaseStudyPage", verbose_name=_("참고한 사례"), on_delete=models.CASCADE, related_name="adoptions"
    )
    adopter_place = models.ForeignKey("hub.Place", verbose_name=_("도입한 지자체"), on_delete=models.PROTECT, related_name="adoptions")
    adopter_case = models.ForeignKey(
        "cases.CaseStudyPage",
        verbose_name=_("도입 사례"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="learned_from",
    )
    note = models.TextField(_("메모"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="adoptions")
    created_at = models.DateTimeField(_("기록 일시"), auto_now_add=True)

    class Meta:
        verbose_name = _("도입")
        verbose_name_plural = _("도입")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["source_case", "adopter_place"], name="unique_adoption_per_place")]

    def __str__(self) -> str:
        return f"{self.adopter_place} ← {self.source_case}"
