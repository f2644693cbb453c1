from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Term(models.Model):
    """A curated vocabulary entry with a Korean and an English label."""

    name = models.CharField(_("이름"), max_length=60, unique=True)
    name_en = models.CharField(_("영문 이름"), max_length=60, blank=True)
    slug = models.SlugField(_("슬러그"), max_length=60, unique=True, allow_unicode=True)
    order = models.PositiveSmallIntegerField(_("순서"), default=0)

    class Meta:
        abstract = True
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if (get_language() or "ko").startswith("en") and self.name_en:
            return self.name_en
        return self.name


class Sector(Term):
    class Meta(Term.Meta):
        verbose_name = _("분야")
        verbose_name_plural = _("분야")


class Technology(Term):
    class Meta(Term.Meta):
        verbose_name = _("기술")
        verbose_name_plural = _("기술")


class Stage(Term):
    """Project stage; `order` is the life cycle order (아이디어 → ... → 종료)."""

    class Meta(Term.Meta):
        verbose_name = _("단계")
        verbose_name_plural = _("단계")
