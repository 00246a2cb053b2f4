"""Verify everything: the hash chain (history and ledger), the triggers, the completeness
backstop, the ledger's balances.

    manage.py audit_verify                 # seal pending rows, verify, store the result
    manage.py audit_verify --head          # print the chain head (keep it outside the DB)
    manage.py audit_verify --expect-head 1234:ab12...   # the head kept earlier is still there
    manage.py audit_verify --json          # the whole result as one JSON document

Exit status 0 when everything was checked and matches, 1 when anything does not, 2 when
this database cannot check everything (the SQLite demo: "not checked on this database").
"""

import json

from django.core.management.base import BaseCommand, CommandError

from audit.verification import check_rows, run_verification
from core import chain, verification

STATUS = {
    verification.OK: "OK",
    verification.FAILED: "FAILED",
    verification.NOT_CHECKED: "NOT CHECKED",
}


class Command(BaseCommand):
    help = "Verify the hash chain, the triggers, the completeness backstop and the ledger."

    def add_arguments(self, parser):
        parser.add_argument("--head", action="store_true", help="Seal, then print the head.")
        parser.add_argument("--expect-head", default=None, help="seq:hash kept earlier.")
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")
        parser.add_argument("--no-store", action="store_true", help="Do not keep the result.")

    def handle(self, *args, **options):
        if options["head"]:
            chain.seal()
            self.stdout.write(str(chain.head()))
            return
        if options["expect_head"]:
            try:
                chain.parse_head(options["expect_head"])
            except ValueError as exc:
                raise CommandError("--expect-head: expected <id>:<64 hex digits>") from exc
        run = run_verification(
            triggered_by="command:audit_verify",
            expect_head=options["expect_head"],
            store=not options["no_store"],
        )
        if options["json"]:
            self.stdout.write(
                json.dumps({"status": run.status, **run.result}, ensure_ascii=False, indent=2)
            )
        else:
            self._summary(run)
        if run.status == verification.FAILED:
            raise CommandError("audit verification FAILED", returncode=1)
        if run.status == verification.NOT_CHECKED:
            raise CommandError(
                "audit verification incomplete: not everything can be checked on this database",
                returncode=2,
            )

    def _summary(self, run):
        for row in check_rows(run):
            part = run.result[row["name"]]
            status = STATUS[row["status"]]
            if row["status"] == verification.NOT_CHECKED:
                self.stdout.write(
                    f"{row['name']}: not checked on this database ({part.get('database')})"
                )
                continue
            detail = ""
            if row["name"] == verification.CHAIN:
                detail = f", {part['rows_checked']} links, head {run.head_seal_id}:{run.head_hash}"
            elif row["name"] == verification.TRIGGERS:
                detail = f", {part['checked']} triggers"
            elif row["name"] == "backstop":
                detail = (
                    f", {part['count']} change(s) without history of {part['checked']} captured"
                )
            self.stdout.write(f"{row['name']}: {status}{detail}")
            for problem in part.get("problems", []):
                text = problem.get("text") if isinstance(problem, dict) else problem
                self.stdout.write(f"  {text}")
            for change in part.get("changes", []):
                self.stdout.write(
                    f"  {change['operation']} {change['model']} id={change['object_id']} at "
                    f"{change['captured_at']} by db user {change['db_user']} "
                    f"(capture {change['capture_id']})"
                )
        self.stdout.write(STATUS[run.status])
