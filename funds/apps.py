from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundsConfig(AppConfig):
    name = "funds"
    verbose_name = _("Funds and budgets")

    def ready(self):
        from . import steps
        from .campaigns import admin as _campaign_admin  # noqa: F401
        from .campaigns import steps as campaign_steps

        steps.register()
        campaign_steps.register()
