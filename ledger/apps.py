from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "ledger"
    verbose_name = _("Ledger")

    def ready(self):
        from . import chain, timeline, verification, writer

        timeline.register()  # the transfers in the auditors' timeline
        chain.register()  # the transfers in the one hash chain (core/chain.py)
        verification.register()  # balances recomputed in every verification
        writer.register()  # ledger_write, installed with the triggers after every migrate
