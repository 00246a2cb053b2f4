"""Verify the ledger (balances recomputed from transfers, SHA-256 chain) or print its head."""

import json

from django.core.management.base import BaseCommand, CommandError

from ledger import chain
from ledger.verification import verify_ledger


class Command(BaseCommand):
    help = (
        "Recompute every ledger balance from the transfers and check the hash chain; exits "
        "non-zero naming the first bad row. --head prints the chain head (id and hash)."
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
            chain.seal(full=False)
            self.stdout.write(json.dumps(chain.chain_head().as_dict()))
            return
        expect = None
        if options["expect_head"]:
            try:
                head_id, head_hash = options["expect_head"].split(":", 1)
                expect = (int(head_id), head_hash.strip())
            except ValueError as exc:
                raise CommandError("--expect-head takes ID:HASH") from exc
        result = verify_ledger(seal=not options["no_seal"], expect_head=expect)
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
        else:
            self.stdout.write(
                f"ledger {'OK' if result.ok else 'FAILED'}: head {result.head_id} "
                f"{result.head_hash}; {json.dumps(result.counts)}"
            )
            for problem in result.problems:
                self.stderr.write(problem)
        if not result.ok:
            raise CommandError(f"first bad row: {result.first_bad}", returncode=1)
