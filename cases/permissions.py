"""Wagtail admin permissions for cases: page permissions say *what* an official may do, this says *which* cases."""

from wagtail.models import PagePermissionTester

from hub.permissions import can_manage_case, is_curator


def can_edit_case(user, case) -> bool:
    """can_manage_case, except that a case harvested from a peer hub (cases/harvesting.py) is the curators' alone:
    its own team edits it on its own hub, and the next harvest would overwrite a local edit anyway."""
    if case.is_remote and not is_curator(user):
        return False
    return can_manage_case(user, case)


class CasePagePermissionTester(PagePermissionTester):
    """An official's group grants add/edit/publish under the case index; this narrows it to their own municipality."""

    def _owns_case(self) -> bool:
        if not hasattr(self, "_owns"):
            self._owns = self.page.pk is None or can_edit_case(self.user, self.page)
        return self._owns

    def can_edit(self):
        return super().can_edit() and self._owns_case()

    def can_delete(self, ignore_bulk=False):
        return super().can_delete(ignore_bulk=ignore_bulk) and self._owns_case()

    def can_publish(self):
        return super().can_publish() and self._owns_case()

    def can_unpublish(self):
        return super().can_unpublish() and self._owns_case()

    def can_submit_for_moderation(self):
        return super().can_submit_for_moderation() and self._owns_case()

    def can_lock(self):
        return super().can_lock() and self._owns_case()

    def can_move(self):
        return super().can_move() and self._owns_case()

    def can_copy(self):
        return super().can_copy() and self._owns_case()
