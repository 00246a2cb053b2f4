from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate
from django.utils.translation import gettext_lazy as _


def _before_migrate(using="default", **kwargs):
    """Migrations run as a superuser may backfill historical columns (audit.bypass)."""
    from django.db import connections

    from .db import set_bypass

    set_bypass(connections[using], True)


def _after_migrate(using="default", verbosity=0, **kwargs):
    """Cover every table that exists now, whichever migration created it."""
    from django.db import connections

    from .db import install, set_bypass
    from .history import forget_tables

    forget_tables()
    connection = connections[using]
    set_bypass(connection, False)
    install(connection, verbosity=verbosity if verbosity > 1 else 0)


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit")

    def ready(self):
        from . import exports  # noqa: F401  (exports registers its job handler)

        pre_migrate.connect(_before_migrate, sender=self, dispatch_uid="audit_pre_migrate")
        post_migrate.connect(_after_migrate, sender=self, dispatch_uid="audit_post_migrate")
