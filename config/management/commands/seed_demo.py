"""Load the demo data (safe to run twice) and print one login per role.

`--year 2026` adds a realistic year on top (config/demo_year): about a thousand
organizations, dozens of projects in every state, custody, claims, campaigns."""

import sys

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import translation

from access import demo as access_demo
from config import demo_year
from escrow import demo as escrow_demo
from federations import demo as federations_demo
from funds import demo as funds_demo
from funds.campaigns import demo as campaigns_demo
from ledger import demo as ledger_demo
from projects import demo as projects_demo


class Command(BaseCommand):
    help = "Load demo regions, organizations and one login per role (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="also build a realistic year (e.g. 2026)")
        parser.add_argument(
            "--scale", type=float, default=1.0, help="size of the year (1: the full year)"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **options):
        bar = None if options["no_progress"] else options.get("stderr") or sys.stderr
        with transaction.atomic():
            places = federations_demo.load()
            logins = access_demo.load(places)
            ledger_demo.load(places)
            logins += funds_demo.load(places, password=access_demo.DEMO_PASSWORD)
            logins += campaigns_demo.load(places, password=access_demo.DEMO_PASSWORD)
            projects_demo.load(places)
            escrow_demo.load(places)
            if options["year"]:
                added = demo_year.build(
                    year=options["year"], places=places, scale=options["scale"],
                    progress=bar,
                )  # fmt: skip
                self.stderr.write(f"{options['year']}: {added}")
        with translation.override("zh-hans"):
            self.stdout.write("演示账号 / demo logins (password: %s)" % access_demo.DEMO_PASSWORD)
            for role, username, scope in logins:
                self.stdout.write(f"  {str(role):<12} {username:<16} {scope}")
