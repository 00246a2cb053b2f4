"""`manage.py db_roles`: create the application's limited role and grant it its privileges
(what every `migrate` does), or with `--check` name what it may do that it must not."""

import os

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from core import roles

from .migrate import use_owner


class Command(BaseCommand):
    help = "Create and grant the application's limited database role, or check it (--check)."

    def add_arguments(self, parser):
        parser.add_argument("--role", default="", help="the role (default DATABASE_APP_ROLE)")
        parser.add_argument(
            "--password-env", default="", help="set its password from this environment variable"
        )
        parser.add_argument("--check", action="store_true", help="only check, change nothing")

    def handle(self, *args, role="", password_env="", check=False, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Database roles need PostgreSQL.")
        role = role or roles.app_role()
        if not role:
            raise CommandError("No role: set DATABASE_APP_ROLE (or DATABASE_OWNER_URL) or --role.")
        use_owner()
        if not check:
            password = os.environ.get(password_env) if password_env else None
            applied = roles.apply(connection, role, password=password)
            self.stdout.write(
                f"role {role}: {'created, ' if applied.created else ''}{applied.tables} tables "
                f"granted ({len(applied.history_tables)} history tables: SELECT only)"
            )
        found = roles.problems(connection, role)
        for problem in found:
            self.stderr.write(problem)
        if found:
            raise CommandError(f"role {role} may do {len(found)} thing(s) it must not")
        self.stdout.write(f"role {role}: limited (no DDL, no TRUNCATE, no history INSERT)")
