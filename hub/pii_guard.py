"""The PII guard: personal data the scanner (hub/pii.py) finds stops publication, unless a curator publishes anyway
with a reason. Refusals and overrides are both recorded as PiiFlag rows, which curators review at /accounts/pii/.

Services call `pii_guard` before they write and `pii_override_record` after; views that catch PiiBlocked call
`pii_blocked_record` (after the service's transaction has rolled back, so the record survives it).
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.core.exceptions import ValidationError
from django.core.paginator import Page as PaginatorPage
from django.core.paginator import Paginator
from django.db import models
from django.db.models import prefetch_related_objects
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hub import permissions
from hub.models import PiiFlag
from hub.pii import EMAIL, LANDLINE, MOBILE, RRN, PiiFinding, pii_scan_text

PII_TYPE_LABELS = {
    RRN: gettext_lazy("주민등록번호"),
    MOBILE: gettext_lazy("휴대전화 번호"),
    LANDLINE: gettext_lazy("유선 전화번호"),
    EMAIL: gettext_lazy("개인 이메일 주소"),
}
OVERRIDE_FIELD = "pii_override_reason"
OVERRIDE_LABEL = gettext_lazy("개인정보 경고 무시 사유")
OVERRIDE_HELP = gettext_lazy(
    "큐레이터 전용. 개인정보로 보이는 내용이 있어도 공개해도 되는 이유(예: 기관 대표번호, 본인 동의)를 적으면 "
    "그대로 게시하고 사유를 기록합니다."
)
OVERRIDE_REASON_MAX_CHARS = 500
BLOCKED_REPEAT_SECONDS = 3600  # the same refused attempt again within an hour is not recorded twice


@dataclass(frozen=True, slots=True)
class PiiFieldFinding:
    field: str  # the field's label as the writer sees it ("내용", "요약")
    finding: PiiFinding

    @property
    def type_label(self) -> str:
        return str(PII_TYPE_LABELS[self.finding.type])

    def as_record(self) -> dict:
        return {"type": self.finding.type, "field": self.field, "masked": self.finding.masked, "confidence": self.finding.confidence}


class PiiBlocked(ValidationError):
    """Publication refused: the message names each finding (masked) and what to do next."""

    def __init__(self, findings: list[PiiFieldFinding], *, can_override: bool):
        self.findings = findings
        self.can_override = can_override
        super().__init__(pii_blocked_message(findings, can_override=can_override), code="pii")


def pii_override_form_field():
    """The optional reason field forms add for curators only (everyone else never sees it)."""
    from django import forms

    return forms.CharField(
        label=OVERRIDE_LABEL,
        help_text=OVERRIDE_HELP,
        required=False,
        max_length=OVERRIDE_REASON_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def pii_findings_in(fields: Mapping[str, str]) -> list[PiiFieldFinding]:
    """Findings in several texts, keyed by the label of the field each one is in."""
    return [PiiFieldFinding(label, finding) for label, text in fields.items() for finding in pii_scan_text(text or "")]


def pii_blocked_message(findings: list[PiiFieldFinding], *, can_override: bool) -> str:
    found = ", ".join(f"{f.type_label} {f.finding.masked} ({f.field})" for f in findings)
    message = _("개인정보로 보이는 내용이 있어 게시할 수 없습니다: %(found)s. 지우거나 가린 뒤 다시 시도해 주세요.") % {"found": found}
    if can_override:
        message += " " + _("공개해도 되는 정보라면 '%(field)s'에 이유를 적고 다시 게시하세요.") % {"field": OVERRIDE_LABEL}
    else:
        message += " " + _("공개해야 하는 정보라면 큐레이터에게 요청해 주세요.")
    return message


def pii_override_reason_clean(reason: str | None) -> str:
    reason = (reason or "").strip()
    if len(reason) > OVERRIDE_REASON_MAX_CHARS:
        raise ValidationError(
            _("개인정보 경고 무시 사유는 %(n)s자까지 쓸 수 있습니다.") % {"n": OVERRIDE_REASON_MAX_CHARS}, code="pii_reason_too_long"
        )
    return reason


def pii_guard(*, fields: Mapping[str, str], user, override_reason: str = "") -> list[PiiFieldFinding]:
    """The findings a curator overrides (empty when there are none); raises PiiBlocked otherwise.

    A reason counts only from a curator: anyone else who sends one (a crafted form) is refused like everybody else.
    """
    findings = pii_findings_in(fields)
    if not findings:
        return []
    curator = user is not None and permissions.is_curator(user)
    if curator and pii_override_reason_clean(override_reason):
        return findings
    raise PiiBlocked(findings, can_override=curator)


# Records ---------------------------------------------------------------------


def _target_fields(target: models.Model | None) -> dict:
    if target is None or target.pk is None:
        return {"content_type": None, "object_id": ""}
    return {"content_type": ContentType.objects.get_for_model(target, for_concrete_model=False), "object_id": str(target.pk)}


def _fingerprint(outcome: str, target: dict, records: list[dict]) -> str:
    payload = [outcome, target["content_type"].pk if target["content_type"] else None, target["object_id"], records]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def pii_blocked_record(*, blocked: PiiBlocked, user, target: models.Model | None, subject: str) -> PiiFlag:
    """A refused attempt, for curators to follow up. Retrying the same thing within the hour adds no second row."""
    records = [f.as_record() for f in blocked.findings]
    where = _target_fields(target)
    fingerprint = _fingerprint(PiiFlag.Outcome.BLOCKED, where, records)
    since = timezone.now() - datetime.timedelta(seconds=BLOCKED_REPEAT_SECONDS)
    user = user if user is not None and user.is_authenticated else None
    earlier = PiiFlag.objects.filter(fingerprint=fingerprint, user=user, created_at__gte=since).first()
    if earlier is not None:
        return earlier
    return PiiFlag.objects.create(
        outcome=PiiFlag.Outcome.BLOCKED, findings=records, fingerprint=fingerprint, user=user, subject=subject[:255], **where
    )


def pii_override_record(*, findings: list[PiiFieldFinding], user, target: models.Model, subject: str, reason: str) -> PiiFlag | None:
    """A curator published despite the findings; nothing is recorded when there were none."""
    if not findings:
        return None
    records = [f.as_record() for f in findings]
    where = _target_fields(target)
    return PiiFlag.objects.create(
        outcome=PiiFlag.Outcome.OVERRIDDEN,
        findings=records,
        fingerprint=_fingerprint(PiiFlag.Outcome.OVERRIDDEN, where, records),
        user=user,
        subject=subject[:255],
        reason=pii_override_reason_clean(reason),
        **where,
    )


# Reads -------------------------------------------------------------------------

PII_FLAGS_PER_PAGE = 50


@dataclass(frozen=True, slots=True)
class PiiFlagRow:
    flag: PiiFlag
    url: str  # where a curator can look at the item ("" once it has been deleted)
    findings: list[dict]  # the stored records, with the type's label added


def pii_flag_url(target) -> str:
    """A case opens in the admin editor (where a curator can fix or publish it); everything else where it is shown."""
    from wagtail.models import Page

    from cases.models import CaseStudyPage, ProjectLogEntry
    from communities.models import CommunityPost

    if isinstance(target, CaseStudyPage):
        return reverse("wagtailadmin_pages:edit", args=[target.pk])
    if isinstance(target, Page):
        return target.url or ""
    if isinstance(target, ProjectLogEntry):
        return f"{target.case.url}#log-{target.pk}"
    if isinstance(target, CommunityPost):
        return f"{target.community.url}posts/{target.parent_id or target.pk}/#post-{target.pk}"
    return ""


def pii_flags_page(*, outcome: str = "", page_number=None) -> PaginatorPage:
    """Newest first; each row's target is fetched in one query per kind of target, not one per row."""
    from cases.models import CaseStudyPage, ProjectLogEntry
    from communities.models import CommunityPage, CommunityPost

    flags = PiiFlag.objects.for_display()
    if outcome:
        flags = flags.filter(outcome=outcome)
    page = Paginator(flags, PII_FLAGS_PER_PAGE).get_page(page_number)
    targets = [
        CaseStudyPage.objects.all(),
        CommunityPage.objects.all(),
        ProjectLogEntry.objects.select_related("case"),
        CommunityPost.objects.select_related("community"),
    ]
    rows = list(page.object_list)
    prefetch_related_objects(rows, GenericPrefetch("content_object", targets))
    page.object_list = [
        PiiFlagRow(
            flag=flag,
            url=pii_flag_url(flag.content_object) if flag.content_object is not None else "",
            findings=[{**record, "label": PII_TYPE_LABELS.get(record["type"], record["type"])} for record in flag.findings],
        )
        for flag in rows
    ]
    return page
