"""Bulk onboarding of members from JSON or CSV: read → validate every row → write all rows in one transaction, or none.

Mirrors the case import (cases/importing.py, whose file reader, vocabulary and row errors it reuses): problems are
reported as "row N (email=...), field 'x': reason", rows are numbered as a spreadsheet shows them (CSV: the header
is row 1; JSON: records counted from 1), and re-importing an e-mail updates that account instead of making another.

Accounts are approved members of the `official` or `curator` group, with no usable password: each new one gets a
set-password e-mail (queued on commit); `resend` sends it again to accounts that have still not set one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from cases.importing import ImportFileError, RowError, Vocabulary, read_record_file, record_shape_errors
from hub.interests import PlaceLabelError, PlaceLookup, interests_ensure, interests_update, text_list_parse
from hub.models import DigestFrequency, Member, MemberInterests, Place
from hub.models.interests import validate_keywords, validate_tags
from hub.models.members import CURATOR_GROUP, OFFICIAL_GROUP

__all__ = ["ImportFileError", "MemberImportResult", "members_import", "read_record_file"]

REQUIRED = ["email", "name", "place", "organisation", "role"]
OPTIONAL = ["job_title", "language", "frequency", "interests"]
INTEREST_KEYS = ["sectors", "technologies", "tags", "places", "keywords"]
# A CSV has no nested objects: its interests are columns of their own, lists separated by ';'.
FIELDS = REQUIRED + OPTIONAL + INTEREST_KEYS
ROLE_GROUPS = {"official": OFFICIAL_GROUP, "curator": CURATOR_GROUP}
MAX_LENGTHS = {"name": 60, "organisation": 120, "job_title": 80}


class MemberRowError(RowError):
    def __str__(self) -> str:
        where = f"row {self.row}" + (f" (email={self.key})" if self.key else "")
        return f"{where}, field '{self.field}': {self.message}"


@dataclass
class MemberRow:
    """A validated record, ready to be written."""

    row: int
    email: str
    name: str
    place: Place
    organisation: str
    role: str
    job_title: str | None  # None: not in the file, keep what the account has
    language: str | None
    frequency: str | None
    interests: dict[str, list] | None  # None: not in the file (new accounts get the sign-up defaults)


@dataclass
class MemberImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    invited: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


# Validating -------------------------------------------------------------------------------------------------------


def validate_member_records(records: list, *, row_numbers: Sequence[int] | None = None) -> tuple[list[MemberRow], list[RowError]]:
    lookup = PlaceLookup(Vocabulary())
    rows, errors, seen = [], [], {}
    for number, record in zip(row_numbers or range(1, len(records) + 1), records, strict=True):
        row, row_errors = _validate_record(number, record, lookup)
        errors.extend(row_errors)
        if row is not None:
            if row.email in seen:
                errors.append(MemberRowError(number, row.email, "email", f"duplicate e-mail; row {seen[row.email]} has it already"))
            seen.setdefault(row.email, number)
            rows.append(row)
    errors.extend(_account_errors(rows))
    errors.sort(key=lambda error: error.row)
    return rows, errors


def _validate_record(number: int, record: Any, lookup: PlaceLookup) -> tuple[MemberRow | None, list[RowError]]:
    if not isinstance(record, dict):
        return None, [MemberRowError(number, "", "(row)", f"expected an object, got {type(record).__name__}")]
    email = str(record.get("email") or "").strip().lower()
    errors: list[RowError] = []

    def err(name: str, message: str) -> None:
        errors.append(MemberRowError(number, email, name, message))

    record_shape_errors(record, fields=FIELDS, required=REQUIRED, err=err)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            err("email", f"not an e-mail address: {email!r}")
    elif "email" in record:
        err("email", "empty")
    texts = {name: _text(record, name, err, required=name in REQUIRED) for name in ("name", "organisation", "job_title")}
    role = _choice(record, "role", list(ROLE_GROUPS), err, required=True)
    language = _choice(record, "language", [choice for choice, _label in Member.Language.choices], err)
    frequency = _choice(record, "frequency", DigestFrequency.values, err)
    place = _place(record.get("place"), lookup, err, name="place") if record.get("place") not in (None, "") else None
    if place is None and "place" in record and record.get("place") in (None, ""):
        err("place", "empty (the member's own 시군구, or 시도 for provincial staff)")
    interests = _interests(record, lookup, err)
    if errors:
        return None, errors
    return MemberRow(
        row=number,
        email=email,
        name=texts["name"],
        place=place,
        organisation=texts["organisation"],
        role=role,
        job_title=texts["job_title"] if "job_title" in record else None,
        language=language,
        frequency=frequency,
        interests=interests,
    ), []


def _text(record, name, err, *, required: bool) -> str:
    value = record.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        err(name, f"expected text, got {type(value).__name__}")
        return ""
    value = " ".join(value.split())
    if required and name in record and not value:
        err(name, "empty")
    if len(value) > MAX_LENGTHS[name]:
        err(name, f"too long ({len(value):,} characters; at most {MAX_LENGTHS[name]})")
    return value


def _choice(record, name, allowed: list[str], err, *, required: bool = False) -> str | None:
    value = record.get(name)
    value = value.strip().lower() if isinstance(value, str) else value
    if value in (None, ""):
        if required and name in record:
            err(name, f"empty (one of {', '.join(allowed)})")
        return None
    if value not in allowed:
        err(name, f"{value!r} is not one of {', '.join(allowed)}")
        return None
    return value


def _place(label, lookup: PlaceLookup, err, *, name: str) -> Place | None:
    if not isinstance(label, str | int):
        err(name, f"expected a place name or code, got {type(label).__name__}")
        return None
    try:
        return lookup.resolve(str(label))
    except PlaceLabelError as error:
        err(name, str(error))
        return None


def _interests(record, lookup: PlaceLookup, err) -> dict[str, list] | None:
    """The row's interests: JSON's `interests` object or a CSV's columns of the same names."""
    nested = record.get("interests")
    flat = {key: record[key] for key in INTEREST_KEYS if key in record}
    if nested in (None, "") and not flat:
        return None
    if nested not in (None, "") and flat:
        err("interests", f"give interests either as an object or as the columns {', '.join(INTEREST_KEYS)}, not both")
        return None
    if nested not in (None, ""):
        if not isinstance(nested, dict):
            err("interests", f"expected an object with {', '.join(INTEREST_KEYS)}, got {type(nested).__name__}")
            return None
        for unknown in sorted(set(nested) - set(INTEREST_KEYS)):
            err(f"interests.{unknown}", f"unknown key (allowed: {', '.join(INTEREST_KEYS)})")
        values, prefix = nested, "interests."
    else:
        values, prefix = flat, ""
    vocabulary = lookup.vocabulary
    lists = {key: _list(values.get(key), f"{prefix}{key}", err) for key in INTEREST_KEYS}
    interests = {
        "sectors": [_term(name, vocabulary.sectors, f"{prefix}sectors", err) for name in lists["sectors"]],
        "technologies": [_term(name, vocabulary.technologies, f"{prefix}technologies", err) for name in lists["technologies"]],
        "places": [_place(label, lookup, err, name=f"{prefix}places") for label in lists["places"]],
    }
    for key, validator in (("tags", validate_tags), ("keywords", validate_keywords)):
        interests[key] = text_list_parse([str(value) for value in lists[key]])
        try:
            validator(interests[key])
        except ValidationError as error:
            for message in error.messages:
                err(f"{prefix}{key}", message)
    return {key: [value for value in items if value is not None] for key, items in interests.items()}


def _list(value, name: str, err) -> list:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(";") if part.strip()]
    if not isinstance(value, list):
        err(name, f"expected a list, got {type(value).__name__}")
        return []
    return value


def _term(value, terms: dict, name: str, err):
    term = terms.get(str(value).strip().casefold())
    if term is None:
        err(name, f"unknown value {value!r} (known: {', '.join(sorted({t.name for t in terms.values()}))})")
    return term


def _account_errors(rows: list[MemberRow]) -> list[RowError]:
    """Existing accounts the import must not take over: staff accounts without a member profile, deactivated ones."""
    users = {user.username.lower(): user for user in _existing_users(rows)}
    with_profile = set(Member.objects.filter(user__in=users.values()).values_list("user_id", flat=True))
    errors = []
    for row in rows:
        user = users.get(row.email)
        if user is None:
            continue
        if user.pk not in with_profile:
            errors.append(MemberRowError(row.row, row.email, "email", "belongs to an account without a member profile (a staff account)"))
        elif not user.is_active:
            errors.append(MemberRowError(row.row, row.email, "email", "belongs to a deactivated account; reactivate it in the admin first"))
    return errors


def _existing_users(rows: list[MemberRow]):
    emails = [row.email for row in rows]
    return get_user_model().objects.filter(username__in=emails) if emails else []


# Writing ----------------------------------------------------------------------------------------------------------


def members_import(
    *, records: list, dry_run: bool = False, resend: bool = False, row_numbers: Sequence[int] | None = None
) -> MemberImportResult:
    """Validate every record; if all are valid (and this is not a dry run), write them all in one transaction.

    New accounts are queued a set-password e-mail on commit; with `resend`, so are existing ones without a password.
    """
    result = MemberImportResult(dry_run=dry_run)
    rows, result.errors = validate_member_records(records, row_numbers=row_numbers)
    if not records:
        result.errors.append(MemberRowError(0, "", "(file)", "no records"))
    if result.errors:
        return result
    existing = {user.username.lower(): user for user in _existing_users(rows)}
    if dry_run:
        for row in rows:
            (result.updated if row.email in existing else result.created).append(row.email)
        return result
    with transaction.atomic():
        for row in rows:
            user = existing.get(row.email)
            member, outcome = _write(row, user)
            getattr(result, outcome).append(row.email)
            if outcome == "created" or (resend and not member.user.has_usable_password()):
                _invite_on_commit(member)
                result.invited.append(row.email)
    return result


def _write(row: MemberRow, user) -> tuple[Member, str]:
    if user is None:
        return _create(row), "created"
    member = Member.objects.select_related("user").get(user=user)
    before = _snapshot(member)
    _update(member, row)
    return member, "unchanged" if _snapshot(member) == before else "updated"


def _create(row: MemberRow) -> Member:
    user = get_user_model().objects.create_user(username=row.email, email=row.email, password=None, first_name=row.name)
    member = Member.objects.create(
        user=user,
        place=row.place,
        organisation=row.organisation,
        job_title=row.job_title or "",
        language=row.language or Member.Language.KOREAN,
        is_approved=True,
        approved_at=timezone.now(),
    )
    _set_role(member, row.role)
    interests_ensure(member=member)
    _set_interests(member, row)
    return member


def _update(member: Member, row: MemberRow) -> None:
    user = member.user
    if (user.first_name, user.email) != (row.name, row.email):
        user.first_name, user.email = row.name, row.email
        user.save(update_fields=["first_name", "email"])
    member.place, member.organisation = row.place, row.organisation
    if row.job_title is not None:
        member.job_title = row.job_title
    if row.language is not None:
        member.language = row.language
    if not member.is_approved:  # the operator vouches for everyone in the file
        member.is_approved, member.approved_at = True, timezone.now()
    member.save()
    _set_role(member, row.role)
    interests_ensure(member=member)
    _set_interests(member, row)


def _set_role(member: Member, role: str) -> None:
    """The file says which role group the account is in (official or curator); other groups are left alone."""
    groups = {group.name: group for group in Group.objects.filter(name__in=ROLE_GROUPS.values())}
    wanted = ROLE_GROUPS[role]
    member.user.groups.add(groups[wanted])
    member.user.groups.remove(*(group for name, group in groups.items() if name != wanted))


def _set_interests(member: Member, row: MemberRow) -> None:
    if row.interests is None and row.frequency is None:
        return
    interests = MemberInterests.objects.get(member=member)
    given = row.interests
    interests_update(
        member=member,
        sectors=given["sectors"] if given is not None else interests.sectors.all(),
        technologies=given["technologies"] if given is not None else interests.technologies.all(),
        places=given["places"] if given is not None else interests.places.all(),
        tags=given["tags"] if given is not None else interests.tags,
        keywords=given["keywords"] if given is not None else interests.keywords,
        digest_frequency=row.frequency or interests.digest_frequency,
    )


def _snapshot(member: Member) -> tuple:
    """Everything the import can change, to tell an update from a re-run that changed nothing."""
    member = Member.objects.select_related("user").get(pk=member.pk)
    interests = MemberInterests.objects.filter(member=member).first()
    return (
        member.user.first_name,
        member.user.email,
        member.place_id,
        member.organisation,
        member.job_title,
        member.language,
        member.is_approved,
        tuple(sorted(member.user.groups.filter(name__in=ROLE_GROUPS.values()).values_list("name", flat=True))),
        _interests_snapshot(interests),
    )


def _interests_snapshot(interests: MemberInterests | None) -> tuple | None:
    if interests is None:
        return None
    return (
        tuple(sorted(interests.sectors.values_list("pk", flat=True))),
        tuple(sorted(interests.technologies.values_list("pk", flat=True))),
        tuple(sorted(interests.places.values_list("pk", flat=True))),
        tuple(interests.tags),
        tuple(interests.keywords),
        interests.digest_frequency,
    )


def _invite_on_commit(member: Member) -> None:
    from hub.tasks import member_invite_send_task

    transaction.on_commit(lambda: member_invite_send_task.delay(member.pk))
