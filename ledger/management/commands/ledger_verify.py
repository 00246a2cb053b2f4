"""Verify the ledger (balances recomputed from transfers, their links in the hash chain) or
print the chain head."""

import json

from django.core.management.base import BaseCommand, CommandError

from core import chain, verification
from ledger.models import Transfer
from ledger.verification import verify_ledger


class Command(BaseCommand):
    help = (
        "Recompute every ledger balance from the transfers and check their links in the hash "
        "chain; exits 1 naming the first bad row, 2 when this database cannot check "
        "everything. --head prints the chain head (id and hash)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--head",
            action="store_true",
            help="Seal what is unsealed, then print the chain head as JSON (keep it elsewhere).",
        )
        parser.add_argument(
            "--expect-head",
            metavar="ID:HASH",
            help="Also check that the chain still holds this previously exported head.",
        )
        parser.add_argument(
            "--no-seal", action="store_true", help="Verify without sealing new transfers first."
        )
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args, **options):
        if options["head"]:
            chain.seal(full=False, models=[Transfer])
            head = chain.head()
            self.stdout.write(json.dumps({"head_id": head.seq, "head_hash": head.hash}))
            return
        if options["expect_head"]:
            try:
                chain.parse_head(options["expect_head"])
            except ValueError as exc:
                raise CommandError("--expect-head takes ID:HASH") from exc
        result = verify_ledger(seal=not options["no_seal"], expect_head=options["expect_head"])
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
        else:
            status = {
                verification.OK: "OK",
                verification.FAILED: "FAILED",
                verification.NOT_CHECKED: "NOT CHECKED",
            }[result.status]
            self.stdout.write(
                f"ledger {status}: head {result.head_id} {result.head_hash}; "
                f"{json.dumps(result.counts)}"
            )
            if result.status == verification.NOT_CHECKED:
                self.stdout.write(
                    "chain: not checked on this database (it needs PostgreSQL); balances: checked"
                )
            for problem in result.problems:
                self.stderr.write(problem)
        if result.status == verification.FAILED:
            raise CommandError(f"first bad row: {result.first_bad}", returncode=1)
        if result.status == verification.NOT_CHECKED:
            raise CommandError("not everything could be checked on this database", returncode=2)
