from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core import verification


class LedgerConfig(AppConfig):
    name = "ledger"
    verbose_name = _("Ledger")

    def ready(self):
        from . import timeline
        from .verification import CHECK

        timeline.register()  # the transfers in the auditors' timeline
        verification.register(CHECK)  # balances and chain in every audit verification
