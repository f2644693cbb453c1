import logging

import pytest

from hub.services import site_structure_ensure


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Migrations load places and vocabularies; the page tree and role groups are built once per session."""
    with django_db_blocker.unblock():
        site_structure_ensure()


@pytest.fixture(autouse=True)
def _fail_on_wagtail_task_errors(caplog):
    """Wagtail's immediate task backend only logs indexing errors; make them fail the test that caused them."""
    yield
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith(("django_tasks", "wagtail"))]
    assert not errors, [r.getMessage() for r in errors]
