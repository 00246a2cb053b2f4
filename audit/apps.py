from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from core import display


def _after_migrate(using="default", verbosity=0, **kwargs):
    """Index every historical table that exists now (core installs the triggers)."""
    from .db import install_indexes
    from .history import forget_tables

    forget_tables()
    install_indexes(connections[using])


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit")

    def ready(self):
        from . import db, exports, verification  # noqa: F401  (exports: its job handler)
        from .history import diff

        display.register_history_diff(diff)

        db.register()  # the backstop triggers, installed and checked with core's
        verification.register()  # changes without history, in every verification
        post_migrate.connect(_after_migrate, sender=self, dispatch_uid="audit_post_migrate")
