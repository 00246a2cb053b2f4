"""Export a history query to a file, streaming (the same code as the API's export jobs).

    manage.py audit_export --as-user auditor --model federations.region \
        --since 2026-01-01T00:00:00+08:00 --format xlsx --output /tmp/history.xlsx

--report prints one JSON line: rows, seconds, rows per second, this process's peak memory.
"""

import json
import resource
import shutil
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from access.models import User
from audit import exports
from core import chain


class Command(BaseCommand):
    help = "Export the change history (CSV or XLSX) with the chain head it was taken at."

    def add_arguments(self, parser):
        parser.add_argument("--as-user", required=True, help="Whose scope (username).")
        parser.add_argument("--model", default=None)
        parser.add_argument("--object-id", default=None)
        parser.add_argument("--user", type=int, default=None, help="Changes by this user id.")
        parser.add_argument("--region", type=int, default=None)
        parser.add_argument("--since", default=None)
        parser.add_argument("--until", default=None)
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument("--output", required=True)
        parser.add_argument("--no-seal", action="store_true", help="Do not seal first.")
        parser.add_argument("--report", action="store_true")

    def handle(self, *args, **options):
        user = User.objects.filter(username=options["as_user"]).first()
        if user is None:
            raise CommandError("no such user")
        for name in ("since", "until"):
            if options[name] and parse_datetime(options[name]) is None:
                raise CommandError(f"--{name}: not a date and time")
        query = exports.query_from_params(
            {
                "model": options["model"],
                "object_id": options["object_id"],
                "user": options["user"],
                "region": options["region"],
                "since": options["since"],
                "until": options["until"],
                "action": [],
            }
        )
        if options["model"] and query.model is None:
            raise CommandError("--model: no audited model of this name")
        started = time.monotonic()
        if not options["no_seal"]:
            chain.seal()
        head = chain.head()
        tmp, count = exports.export_to_file(options["format"], query, user, head)
        with tmp, open(options["output"], "wb") as out:
            shutil.copyfileobj(tmp, out)
        seconds = time.monotonic() - started
        if options["report"]:
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            self.stdout.write(
                json.dumps(
                    {
                        "rows": count,
                        "seconds": round(seconds, 2),
                        "rows_per_s": round(count / seconds) if seconds else None,
                        "peak_rss_mb": round(peak_mb, 1),
                        "chain_head": str(head),
                    }
                )
            )
        else:
            self.stdout.write(f"{count} rows → {options['output']} (chain head {head})")
