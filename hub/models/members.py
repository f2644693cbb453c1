from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

OFFICIAL_GROUP = "official"
CURATOR_GROUP = "curator"


class Member(models.Model):
    """A signed-up person: their affiliation and whether a curator has approved them for writing."""

    class Language(models.TextChoices):
        KOREAN = "ko", "한국어"
        ENGLISH = "en", "English"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="member")
    place = models.ForeignKey("hub.Place", verbose_name=_("소속 지자체"), on_delete=models.PROTECT, related_name="members")
    organisation = models.CharField(_("소속 기관·부서"), max_length=120)
    job_title = models.CharField(_("직위·직무"), max_length=80, blank=True)
    language = models.CharField(_("언어"), max_length=2, choices=Language.choices, default=Language.KOREAN)
    bio = models.TextField(_("소개"), blank=True, help_text=_("Markdown"))
    is_approved = models.BooleanField(_("승인됨"), default=False)
    approved_at = models.DateTimeField(_("승인 일시"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("회원")
        verbose_name_plural = _("회원")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.user.get_full_name() or self.user.get_username()
