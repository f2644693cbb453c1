"""Who may do what: the one place the hub's roles are decided."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import Group

from .models.members import CURATOR_GROUP, OFFICIAL_GROUP

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User = AbstractBaseUser | AnonymousUser


def _groups(user) -> set[str]:
    # Cached per user object: a request asks several questions of the same user.
    if not hasattr(user, "_hub_groups"):
        user._hub_groups = set(user.groups.values_list("name", flat=True)) if user.is_authenticated else set()
    return user._hub_groups


def groups_preload(users) -> None:
    """Fill the per-user group cache of many users in one query (digests ask about thousands of members)."""
    users = [user for user in users if user.is_authenticated and not hasattr(user, "_hub_groups")]
    names: dict[int, set[str]] = {user.pk: set() for user in users}
    for user_id, name in Group.objects.filter(user__in=users).values_list("user__id", "name"):
        names[user_id].add(name)
    for user in users:
        user._hub_groups = names[user.pk]


def member_of(user):
    """The user's Member profile, or None (anonymous, or an account without one such as a bare superuser)."""
    if not user.is_authenticated:
        return None
    try:
        return user.member
    except Exception:  # RelatedObjectDoesNotExist
        return None


def is_curator(user) -> bool:
    return user.is_authenticated and (user.is_superuser or CURATOR_GROUP in _groups(user))


def is_official(user) -> bool:
    return user.is_authenticated and OFFICIAL_GROUP in _groups(user)


def is_approved_member(user) -> bool:
    """Signed in and approved by a curator: may read members-only content and write."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    member = member_of(user)
    return bool(member and member.is_approved)


def can_read_members_only(user) -> bool:
    return is_approved_member(user)


def can_manage_case(user, case) -> bool:
    """Curators: any case. Approved officials: local cases of their own local government (lead or participating)."""
    if is_curator(user):
        return True
    if getattr(case, "is_remote", False):  # harvested from a peer hub: its own hub's officials write it, not ours
        return False
    if not (is_official(user) and is_approved_member(user)):
        return False
    return user.member.place_id in case.place_ids()
