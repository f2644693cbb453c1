"""What a member wants to hear about: interests and digest frequency, saved searches, follows.

Matching and digests (issue 4) read these; the rules that write them are in hub/interests.py.
"""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

MAX_KEYWORDS = 20
MAX_KEYWORD_CHARS = 40
MAX_TAGS = 20
MAX_TAG_CHARS = 50


@deconstructible
class TextListValidator:
    """A list of short texts: at most `max_items`, each 1 to `max_chars` characters (tags, keywords)."""

    def __init__(self, *, kind: str, max_items: int, max_chars: int):
        self.kind, self.max_items, self.max_chars = kind, max_items, max_chars

    def __call__(self, values) -> None:
        if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
            raise ValidationError(_("%(kind)s은(는) 글자 목록이어야 합니다.") % {"kind": self.kind})
        if len(values) > self.max_items:
            raise ValidationError(
                _("%(kind)s은(는) %(max)s개까지 넣을 수 있습니다(지금 %(count)s개).")
                % {"kind": self.kind, "max": self.max_items, "count": len(values)}
            )
        problems = [
            _("%(kind)s ‘%(value)s’: 1~%(max)s자로 써 주세요.") % {"kind": self.kind, "value": value[:60], "max": self.max_chars}
            for value in values
            if not 1 <= len(value.strip()) <= self.max_chars
        ]
        if problems:
            raise ValidationError(problems)

    def __eq__(self, other) -> bool:
        return isinstance(other, TextListValidator) and (self.kind, self.max_items, self.max_chars) == (
            other.kind,
            other.max_items,
            other.max_chars,
        )


validate_keywords = TextListValidator(kind=_("키워드"), max_items=MAX_KEYWORDS, max_chars=MAX_KEYWORD_CHARS)
validate_tags = TextListValidator(kind=_("태그"), max_items=MAX_TAGS, max_chars=MAX_TAG_CHARS)


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class DigestFrequency(models.TextChoices):
    OFF = "off", _("받지 않음")
    DAILY = "daily", _("매일")
    WEEKLY = "weekly", _("매주")


class MemberInterests(models.Model):
    """One per member: the topics and places their digest is matched against, and how often it is sent."""

    member = models.OneToOneField("hub.Member", on_delete=models.CASCADE, related_name="interests")
    sectors = models.ManyToManyField("cases.Sector", verbose_name=_("관심 분야"), blank=True, related_name="interested_members")
    technologies = models.ManyToManyField("cases.Technology", verbose_name=_("관심 기술"), blank=True, related_name="interested_members")
    places = models.ManyToManyField("hub.Place", verbose_name=_("관심 지역"), blank=True, related_name="interested_members")
    tags = models.JSONField(_("관심 태그"), default=list, blank=True, validators=[validate_tags])
    keywords = models.JSONField(_("키워드"), default=list, blank=True, validators=[validate_keywords])
    digest_frequency = models.CharField(_("소식 메일"), max_length=8, choices=DigestFrequency.choices, default=DigestFrequency.WEEKLY)
    # The secret in the member's own Atom feed URL of notifications; a new one makes the old URL stop working.
    feed_token = models.CharField(max_length=43, unique=True, default=new_feed_token, editable=False)
    # In-app notifications are matched up to this moment (hub/notifications.py moves it forward).
    notified_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("관심사")
        verbose_name_plural = _("관심사")

    def __str__(self) -> str:
        return str(self.member)


class SavedSearch(models.Model):
    """A search the member subscribed to: the exact query text and the search page's filter parameters.

    `filters` uses the search page's parameter names (region, municipality, sector, technology, stage, type, year,
    lang ... and sort); `state_key` is a digest of the canonical query string, so one search is saved once however
    long its text is (a unique index on the text itself would exceed PostgreSQL's index row size).
    """

    member = models.ForeignKey("hub.Member", on_delete=models.CASCADE, related_name="saved_searches")
    name = models.CharField(_("이름"), max_length=120)
    query = models.TextField(_("검색어"), blank=True)
    filters = models.JSONField(_("검색 조건"), default=dict, blank=True)
    state_key = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("저장한 검색")
        verbose_name_plural = _("저장한 검색")
        constraints = [models.UniqueConstraint(fields=["member", "state_key"], name="hub_saved_search_unique_per_member")]

    def __str__(self) -> str:
        return self.name

    @property
    def url(self) -> str:
        """The search page in exactly the saved state."""
        from hub.interests import saved_search_url

        return saved_search_url(query=self.query, filters=self.filters)


class Follow(models.Model):
    """A member follows one case, community or other member (exactly one target).

    Three nullable foreign keys rather than a generic relation: the database keeps them valid, deleting a case or a
    community removes its follows, and each target has its own partial unique index.
    """

    class Kind(models.TextChoices):
        CASE = "case", _("사례")
        COMMUNITY = "community", _("커뮤니티")
        MEMBER = "member", _("회원")

    member = models.ForeignKey("hub.Member", on_delete=models.CASCADE, related_name="follows")
    case = models.ForeignKey("cases.CaseStudyPage", null=True, blank=True, on_delete=models.CASCADE, related_name="followers")
    community = models.ForeignKey("communities.CommunityPage", null=True, blank=True, on_delete=models.CASCADE, related_name="followers")
    followed_member = models.ForeignKey("hub.Member", null=True, blank=True, on_delete=models.CASCADE, related_name="followers")
    created_at = models.DateTimeField(auto_now_add=True)

    TARGET_FIELDS = {Kind.CASE: "case", Kind.COMMUNITY: "community", Kind.MEMBER: "followed_member"}

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("팔로우")
        verbose_name_plural = _("팔로우")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(case__isnull=False, community__isnull=True, followed_member__isnull=True)
                    | Q(case__isnull=True, community__isnull=False, followed_member__isnull=True)
                    | Q(case__isnull=True, community__isnull=True, followed_member__isnull=False)
                ),
                name="hub_follow_exactly_one_target",
            ),
            models.CheckConstraint(condition=~Q(followed_member=F("member")), name="hub_follow_not_oneself"),
            models.UniqueConstraint(fields=["member", "case"], condition=Q(case__isnull=False), name="hub_follow_case_once"),
            models.UniqueConstraint(fields=["member", "community"], condition=Q(community__isnull=False), name="hub_follow_community_once"),
            models.UniqueConstraint(
                fields=["member", "followed_member"], condition=Q(followed_member__isnull=False), name="hub_follow_member_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} → {self.target}"

    @property
    def kind(self) -> str:
        if self.case_id:
            return self.Kind.CASE
        return self.Kind.COMMUNITY if self.community_id else self.Kind.MEMBER

    @property
    def kind_label(self) -> str:
        return self.Kind(self.kind).label

    @property
    def target(self):
        return getattr(self, self.TARGET_FIELDS[self.kind])
