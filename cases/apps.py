from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("사례")

    def ready(self):
        from .signals import review_signals_connect

        review_signals_connect()  # the author hears how the curators' review went (cases/signals.py)
