"""`migrate` as the owner: with DATABASE_OWNER_URL set, the default database's migrations
(and the triggers, functions and grants installed after them) run as that role, whatever
role DATABASE_URL names for the application (docs/database-roles.md)."""

import environ
from django.conf import settings
from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import DEFAULT_DB_ALIAS, connections


def use_owner(alias: str = DEFAULT_DB_ALIAS) -> bool:
    """Point the connection `alias` at DATABASE_OWNER_URL (same database); False when unset."""
    url = getattr(settings, "DATABASE_OWNER_URL", "")
    if not url:
        return False
    owner = environ.Env.db_url_config(url)
    connection = connections[alias]
    connection.close()
    for key in ("USER", "PASSWORD", "HOST", "PORT"):  # the same database, another role
        if owner.get(key) not in (None, ""):
            connection.settings_dict[key] = owner[key]
    return True


class Command(MigrateCommand):
    help = MigrateCommand.help + " As the owner role when DATABASE_OWNER_URL is set."

    def handle(self, *args, **options):
        if options["database"] == DEFAULT_DB_ALIAS and use_owner():
            if options["verbosity"]:
                self.stdout.write("Migrating as the owner role (DATABASE_OWNER_URL).")
        return super().handle(*args, **options)
