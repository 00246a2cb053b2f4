"""Verify the audit trail: the history hash chain, the completeness backstop, the ledger.

    manage.py audit_verify                 # seal pending rows, verify, store the result
    manage.py audit_verify --head          # print the chain heads (keep them outside the DB)
    manage.py audit_verify --expect-head 1234:ab12...   # the head kept earlier is still there
    manage.py audit_verify --json          # the whole result as one JSON document

Exit status 0 when everything matches, 1 when anything does not.
"""

import json
import re

from django.core.management.base import BaseCommand, CommandError

from audit import chain, verification
from audit.verification import run_verification


class Command(BaseCommand):
    help = "Verify the history hash chain, the completeness backstop and the ledger."

    def add_arguments(self, parser):
        parser.add_argument("--head", action="store_true", help="Seal, then print the head.")
        parser.add_argument("--expect-head", default=None, help="seal_id:hash kept earlier.")
        parser.add_argument(
            "--expect-ledger-head", default=None, help="The ledger's id:hash kept earlier."
        )
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")
        parser.add_argument("--no-store", action="store_true", help="Do not keep the result.")

    def handle(self, *args, **options):
        if options["head"]:
            chain.seal_pending()
            self.stdout.write(str(chain.head()))
            ledger_head = verification.ledger_head()
            if ledger_head:
                self.stdout.write(f"ledger {ledger_head}")
            return
        for name in ("expect_head", "expect_ledger_head"):
            value = options[name]
            if value and not re.fullmatch(r"\d+:[0-9a-fA-F]{64}", value.strip()):
                raise CommandError(f"--{name.replace('_', '-')}: expected <id>:<64 hex digits>")
        run = run_verification(
            triggered_by="command:audit_verify",
            expect_head=options["expect_head"],
            expect_ledger_head=options["expect_ledger_head"],
            store=not options["no_store"],
        )
        result = run.result
        if options["json"]:
            self.stdout.write(json.dumps({"ok": run.ok, **result}, ensure_ascii=False, indent=2))
        else:
            self._summary(run)
        if not run.ok:
            raise CommandError("audit verification FAILED", returncode=1)

    def _summary(self, run):
        from django.db import connection

        if connection.vendor != "postgresql":
            self.stdout.write("note: the history chain and the backstop need PostgreSQL")
        result = run.result
        history = result["history_chain"]
        self.stdout.write(
            f"history chain: {'OK' if history['ok'] else 'FAILED'}, "
            f"{history['rows_checked']} rows, head {run.head_seal_id or 0}:{run.head_hash}"
        )
        for problem in history["problems"]:
            self.stdout.write(
                f"  {problem['kind']}: {problem.get('model')} history_id="
                f"{problem.get('history_id')} object_id={problem.get('object_id')} "
                f"(seal {problem.get('seal_id')})"
            )
        backstop = result["backstop"]
        self.stdout.write(
            f"backstop: {backstop['count']} change(s) without history "
            f"of {backstop['checked']} captured"
        )
        for change in backstop["changes"]:
            self.stdout.write(
                f"  {change['operation']} {change['model']} id={change['object_id']} at "
                f"{change['captured_at']} by db user {change['db_user']} "
                f"(capture {change['capture_id']})"
            )
        ledger = result["ledger"]
        if ledger.get("available"):
            self.stdout.write(
                f"ledger: {'OK' if ledger['ok'] else 'FAILED'}, head "
                f"{ledger.get('head_id')}:{ledger.get('head_hash')}"
                + ("" if ledger["ok"] else f", first bad: {ledger.get('first_bad')}")
            )
        else:
            self.stdout.write("ledger: verification not installed")
        self.stdout.write("OK" if run.ok else "FAILED")
