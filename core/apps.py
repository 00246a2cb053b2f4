from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate, pre_migrate
from django.utils.translation import gettext_lazy as _

from . import context


def _before_migrate(using="default", **kwargs):
    """Migrations run as a superuser may backfill historical columns (audit.bypass)."""
    from . import triggers

    triggers.set_bypass(connections[using], True)


def _after_migrate(using="default", verbosity=0, **kwargs):
    """Cover every table that exists now, whichever migration created it."""
    from . import roles, triggers

    connection = connections[using]
    triggers.set_bypass(connection, False)
    triggers.install(connection, verbosity=verbosity if verbosity > 1 else 0)
    if kwargs.get("plan") is None:
        return  # a flush (the tests'): no table came or went, the grants stand
    applied = roles.apply(connection)  # the application's limited role (core/roles.py)
    if applied and verbosity > 1:
        print(f"role {applied.role}: {applied.tables} tables granted")


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Kernel")

    def ready(self):
        from . import history_guard

        history_guard.register()  # the history guard and writer, installed with the triggers
        context.install_command_identity()
        context.install_celery_identity()
        pre_migrate.connect(_before_migrate, sender=self, dispatch_uid="core_pre_migrate")
        post_migrate.connect(_after_migrate, sender=self, dispatch_uid="core_post_migrate")
