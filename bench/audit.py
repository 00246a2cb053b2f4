"""Audit benchmark: the history API's queries and exports over a million history rows.

    python bench/audit.py            # creates and migrates fund_audit_bench, then measures
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/other python bench/audit.py

It (re)creates its own database (default postgres://postgres@127.0.0.1:5432/fund_audit_bench),
migrates it, and inserts BENCH_ROWS (1,000,000) historical rows of federations.Region with
one INSERT ... SELECT generate_series: 10,000 objects with 100 versions each, over about a
year, by 50 users. Figures:

- list_versions_ms: median time of one object's versions (100) as the history API builds
  them for a city auditor: the timeline query over every historical table plus the
  rows, previous versions and field-by-field differences (selector level, no HTTP).
- list_versions_api_ms: the same through the API (GET /api/v1/audit/history/?model=&object_id=).
- user_month_ms: median time of the first page (100) of one user's changes in one month.
- seal_rows_per_s: sealing the million rows into the hash chain (done once, before export).
- verify_rows_per_s: verifying the chain over them (recomputing every digest).
- export_rows_per_s / export_peak_rss_mb: `manage.py audit_export` (CSV) of all 1,000,000
  rows, in its own process; peak resident memory of that process. The same for 100,000
  rows (export_100k_peak_rss_mb), to show the memory does not grow with the size, and
  an XLSX export of 100,000 rows (xlsx_rows_per_s, xlsx_peak_rss_mb).

The last line printed is one JSON object.
"""

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fund_audit_bench")
ROWS = int(os.environ.get("BENCH_ROWS", 1_000_000))
OBJECTS = int(os.environ.get("BENCH_OBJECTS", 10_000))
USERS = 50
REPEAT = int(os.environ.get("BENCH_REPEAT", 20))
os.environ["DATABASE_URL"] = DB_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ.setdefault("DEBUG", "false")
ENV = {**os.environ, "DATABASE_URL": DB_URL, "REDIS_URL": ""}


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def create_database():
    import psycopg

    base, _slash, name = DB_URL.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    log("migrating", name)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=ENV, check=True)


def median_ms(fn, repeat=REPEAT) -> float:
    fn()  # warm
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 2)


def main():
    create_database()
    os.environ["REDIS_URL"] = ""
    import django

    django.setup()
    from django.db import connection
    from rest_framework.test import APIClient

    from access.models import Role, RoleAssignment, User
    from audit import history
    from core import chain
    from federations.models import Region

    city = Region(code="370500", name="东营市", level="city")
    city._change_reason = "bench"
    city.save()
    users = []
    for i in range(USERS):
        user = User(username=f"bench{i}", first_name=f"bench{i}")
        user.save()
        users.append(user)
    auditor = User(username="bench_auditor", first_name="审计员")
    auditor.save()
    RoleAssignment(user=auditor, role=Role.AUDITOR, region=city).save()

    log(f"inserting {ROWS} history rows")
    user_ids = "ARRAY[" + ",".join(str(u.pk) for u in users) + "]"
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO federations_historicalregion
                (id, code, name, level, parent_id, area_type, path, history_date,
                 history_change_reason, history_type, history_user_id, history_actor)
            SELECT 1000000 + (g % {OBJECTS}),
                   (370500000000 + (g % {OBJECTS}))::text,
                   'bench ' || (g % {OBJECTS}) || ' v' || (g / {OBJECTS}),
                   'community', NULL, 'urban',
                   '/370500/' || (370500000000 + (g % {OBJECTS}))::text || '/',
                   timestamptz '2025-01-01 00:00:00+00' + g * interval '31 seconds',
                   'bench change ' || g,
                   CASE WHEN g < {OBJECTS} THEN '+' ELSE '~' END,
                   ({user_ids})[1 + (g % {USERS})],
                   'bench'
            FROM generate_series(0, {ROWS - 1}) AS g
            """
        )
        cursor.execute("ANALYZE federations_historicalregion")
    insert_s = time.monotonic() - started
    log(f"inserted in {insert_s:.1f}s")

    object_id = str(1000000 + OBJECTS // 2)
    versions_query = history.HistoryQuery(model=Region, object_id=object_id)
    any_model_versions = history.HistoryQuery(model=Region, object_id=object_id)

    def list_versions():
        rows = history.timeline_page(any_model_versions, auditor, limit=101)
        assert len(rows) == ROWS // OBJECTS, len(rows)
        history.entries(rows[:100])

    list_versions_ms = median_ms(list_versions)

    client = APIClient()
    client.force_authenticate(auditor)

    def list_versions_api():
        response = client.get(
            "/api/v1/audit/history/", {"model": "federations.region", "object_id": object_id}
        )
        assert response.status_code == 200, response.content[:300]

    list_versions_api_ms = median_ms(list_versions_api)

    import datetime as dt

    month_start = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    month_query = history.HistoryQuery(
        user_id=users[7].pk, since=month_start, until=dt.datetime(2025, 7, 1, tzinfo=dt.UTC)
    )
    month_rows = len([r for rows in history.iterate(month_query, auditor) for r in rows])

    def user_month():
        rows = history.timeline_page(month_query, auditor, limit=101)
        history.entries(rows[:100])

    user_month_ms = median_ms(user_month)
    del versions_query

    log("sealing")
    started = time.monotonic()
    sealed = chain.seal()
    seal_s = time.monotonic() - started
    log(f"sealed {sealed} in {seal_s:.1f}s")
    started = time.monotonic()
    verified = chain.verify()
    verify_s = time.monotonic() - started
    assert verified.ok, verified.problems[:3]
    log(f"verified {verified.rows_checked} in {verify_s:.1f}s")

    def export(fmt: str, since: str | None) -> dict:
        args = [
            sys.executable,
            "manage.py",
            "audit_export",
            "--as-user",
            "bench_auditor",
            "--model",
            "federations.region",
            "--format",
            fmt,
            "--output",
            f"/tmp/audit-bench-export.{fmt}",
            "--report",
        ]
        if since:
            args += ["--since", since]
        out = subprocess.run(args, cwd=ROOT, env=ENV, check=True, capture_output=True, text=True)
        report = json.loads(out.stdout.strip().splitlines()[-1])
        log(fmt, since, report)
        return report

    # The last 100,000 rows (31 s apart) start this long after the first one.
    since_100k = (
        dt.datetime(2025, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=31 * (ROWS - 100_000))
    ).isoformat()
    small = export("csv", since_100k)
    xlsx = export("xlsx", since_100k)
    full = export("csv", None)

    result = {
        "bench": "audit",
        "history_rows": ROWS + 1,
        "insert_s": round(insert_s, 1),
        "list_versions_ms": list_versions_ms,
        "list_versions_api_ms": list_versions_api_ms,
        "user_month_rows": month_rows,
        "user_month_ms": user_month_ms,
        "seal_rows_per_s": round(sealed / seal_s),
        "verify_rows_per_s": round(verified.rows_checked / verify_s),
        "export_rows": full["rows"],
        "export_rows_per_s": full["rows_per_s"],
        "export_peak_rss_mb": full["peak_rss_mb"],
        "export_100k_rows_per_s": small["rows_per_s"],
        "export_100k_peak_rss_mb": small["peak_rss_mb"],
        "xlsx_100k_rows_per_s": xlsx["rows_per_s"],
        "xlsx_100k_peak_rss_mb": xlsx["peak_rss_mb"],
        "targets": {"list_versions_ms": "< 50", "export_peak_rss_mb": "< 200, flat"},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
