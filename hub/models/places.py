from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

KOREA = "KR"


class PlaceQuerySet(models.QuerySet):
    def provinces(self):
        return self.filter(level=Place.Level.PROVINCE)

    def municipalities(self):
        return self.filter(level=Place.Level.MUNICIPALITY)

    def korean(self):
        return self.filter(country=KOREA)


class Place(models.Model):
    """A Korean local government (시도 or 시군구, by its 5-digit code) or a foreign city."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("시도")
        MUNICIPALITY = "municipality", _("시군구")
        FOREIGN_CITY = "foreign_city", _("해외 도시")

    class Kind(models.TextChoices):
        SPECIAL_CITY = "특별시", _("특별시")
        METROPOLITAN_CITY = "광역시", _("광역시")
        SPECIAL_SELF_GOVERNING_CITY = "특별자치시", _("특별자치시")
        PROVINCE = "도", _("도")
        SPECIAL_SELF_GOVERNING_PROVINCE = "특별자치도", _("특별자치도")
        CITY = "시", _("시")
        COUNTY = "군", _("군")
        DISTRICT = "구", _("구")
        FOREIGN_CITY = "city", _("도시")

    code = models.CharField(_("코드"), max_length=80, unique=True, help_text=_("행정표준코드 5자리, 해외 도시는 '국가코드:도시명'"))
    name = models.CharField(_("이름"), max_length=80)
    name_en = models.CharField(_("영문 이름"), max_length=80, blank=True)
    level = models.CharField(pgettext_lazy("place level", "단위"), max_length=16, choices=Level.choices)
    kind = models.CharField(_("종류"), max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("상위 지자체"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    country = models.CharField(_("국가"), max_length=2, default=KOREA)

    objects = PlaceQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("지역")
        verbose_name_plural = _("지역")
        indexes = [models.Index(fields=["country", "name"])]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        """'경기도 수원시' for a 시군구, the name alone otherwise."""
        if self.level == self.Level.MUNICIPALITY and self.parent_id:
            return f"{self.parent.name} {self.name}"
        if self.level == self.Level.FOREIGN_CITY:
            return f"{self.name} ({self.country})"
        return self.name

    @property
    def province(self) -> "Place | None":
        """The 시도 this place belongs to (itself for a 시도, None abroad)."""
        if self.level == self.Level.PROVINCE:
            return self
        if self.level == self.Level.MUNICIPALITY:
            return self.parent
        return None

    @property
    def is_korean(self) -> bool:
        return self.country == KOREA
