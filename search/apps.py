from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "search"
    label = "hubsearch"
    verbose_name = _("검색")

    def ready(self):
        from . import signals  # noqa: F401  (connects the outbox to saves, publishes and deletes)
