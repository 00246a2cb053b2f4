"""Django's flush, allowed to empty the append-only tables (superuser sessions only).

Only the test suite's transactional tests and a developer resetting a database flush;
the append-only triggers let a superuser session with `audit.bypass = on` through.
"""

from django.core.management.commands.flush import Command as FlushCommand
from django.db import DEFAULT_DB_ALIAS, connections

from core.triggers import set_bypass


class Command(FlushCommand):
    def handle(self, **options):
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        set_bypass(connection, True)
        try:
            return super().handle(**options)
        finally:
            set_bypass(connection, False)
