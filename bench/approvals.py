"""Approvals benchmark: the inbox of an officer with 100,000 pending requests in the city.

    python bench/approvals.py      # (re)creates and migrates fund_appr_bench, then measures
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/other python bench/approvals.py

It (re)creates its own database, migrates it and inserts, in plain SQL, a city of
BENCH_COUNTIES (10) counties × BENCH_TOWNSHIPS (20) townships, a finance officer for the
city, each county and each township, a city-wide policy (a township officer and a city
officer approve every request) and BENCH_REQUESTS (100,000) pending requests spread over
the townships and the last 60 days, with one open requirement row per level; the city
officer has already approved 1% of them (decision rows), which leave their inbox.
Figures:

- inbox_first_page_ms: median time of GET /api/v1/approvals/ (first page, 50 rows, oldest
  first) as the city officer, through the whole Django/DRF stack, each time as a freshly
  loaded user (nothing cached); inbox_queries: the queries it runs (constant);
  inbox_count: the total it reports (exact up to 1,000, the cap; 99,000 wait).
- inbox_by_amount_ms: the same, `?ordering=-amount`.
- inbox_township_ms: the first page of a township officer (~500 waiting).
- inbox_filtered_ms: the city officer's page filtered to one county (`?region=`).
- inbox_first_page_cpu_ms / inbox_first_page_db_ms: of that request, this process's CPU
  time and the time waiting for the database (wall clock, both include the wait for a core
  when the machine is busy).
- baseline_me_ms: GET /api/v1/me/ the same way (what any request costs on this machine),
  and load_average: the machine's 1-minute load when measured (it is shared).

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

DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fund_appr_bench")
COUNTIES = int(os.environ.get("BENCH_COUNTIES", 10))
TOWNSHIPS = int(os.environ.get("BENCH_TOWNSHIPS", 20))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", 100_000))
REPEAT = int(os.environ.get("BENCH_REPEAT", 20))
os.environ["DATABASE_URL"] = DB_URL
os.environ["REDIS_URL"] = ""
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
ENV = {**os.environ}


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def recreate_database():
    import psycopg

    name = DB_URL.rsplit("/", 1)[1]
    admin_url = DB_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=ENV, check=True
    )


REGIONS_SQL = """
INSERT INTO federations_region (code, name, level, area_type, path, parent_id)
VALUES ('370500', '东营市', 'city', '', '/370500/', NULL);

INSERT INTO federations_region (code, name, level, area_type, path, parent_id)
SELECT '3705' || lpad(c::text, 2, '0'), '县区' || c, 'county', '',
       '/370500/3705' || lpad(c::text, 2, '0') || '/',
       (SELECT id FROM federations_region WHERE code = '370500')
FROM generate_series(1, %(counties)s) c;

INSERT INTO federations_region (code, name, level, area_type, path, parent_id)
SELECT p.code || lpad(t::text, 3, '0'), p.name || '街镇' || t, 'township', '',
       p.path || p.code || lpad(t::text, 3, '0') || '/', p.id
FROM federations_region p, generate_series(1, %(townships)s) t WHERE p.level = 'county';
"""

# Officers: one per region (city, counties, townships), and a submitter.
USERS_SQL = """
INSERT INTO access_user (password, is_superuser, username, first_name, last_name, email,
    is_staff, is_active, date_joined, is_service)
SELECT '!', false, 'officer.' || r.code, '审批员' || r.code, '', '', false, true, now(), false
FROM federations_region r;
INSERT INTO access_user (password, is_superuser, username, first_name, last_name, email,
    is_staff, is_active, date_joined, is_service)
VALUES ('!', false, 'bench.submitter', '经办人', '', '', false, true, now(), false);
INSERT INTO access_roleassignment (user_id, role, region_id, federation_id, organization_id,
    is_active, created_at)
SELECT u.id, 'finance_officer', r.id, NULL, NULL, true, now()
FROM federations_region r JOIN access_user u ON u.username = 'officer.' || r.code;
"""

REQUESTS_SQL = """
INSERT INTO approvals_approvalpolicy (kind, region_id, overdue_after_hours, is_active,
    created_at, updated_at)
SELECT 'bench_step', id, 72, true, now(), now() FROM federations_region WHERE level = 'city';
INSERT INTO approvals_approvaltier (policy_id, above_amount, level, count)
SELECT p.id, 0, l, 1 FROM approvals_approvalpolicy p, unnest(ARRAY['township', 'city']) l;

CREATE TEMP TABLE bench_towns AS
SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM federations_region
WHERE level = 'township';

INSERT INTO approvals_approvalrequest (kind, owner_type, owner_id, amount, region_id,
    federation_id, organization_id, scope_region_id, submitter_id, created_by_id, reason,
    state, policy_id, rule, submitted_at, due_at, overdue_since, decided_at)
SELECT 'bench_step', 'bench.thing', g, (1 + (g * 7919) %% 900000) + 0.5,
       t.id, NULL, NULL, t.id, (SELECT id FROM access_user WHERE username = 'bench.submitter'),
       NULL, '请审批', 'pending', (SELECT id FROM approvals_approvalpolicy LIMIT 1),
       '{"bench": true}'::jsonb, ts, ts + interval '72 hours', NULL, NULL
FROM generate_series(1, %(requests)s) g
JOIN bench_towns t ON t.n = g %% (SELECT count(*) FROM bench_towns)
CROSS JOIN LATERAL (SELECT now() - (g::float8 / %(requests)s) * interval '60 days' AS ts) x;

INSERT INTO approvals_approvalrequirement (request_id, level, region_id, needed, given, is_open,
    kind, amount, submitted_at, due_at, submitter_id, created_by_id, scope_path)
SELECT r.id, l.level, CASE WHEN l.level = 'city' THEN c.id ELSE r.scope_region_id END, 1,
       CASE WHEN l.level = 'city' AND r.id %% 100 = 0 THEN 1 ELSE 0 END,
       NOT (l.level = 'city' AND r.id %% 100 = 0),
       r.kind, r.amount, r.submitted_at, r.due_at, r.submitter_id, r.created_by_id, t.path
FROM approvals_approvalrequest r JOIN federations_region t ON t.id = r.scope_region_id
CROSS JOIN (VALUES ('township'), ('city')) l(level)
CROSS JOIN federations_region c WHERE c.level = 'city'
ORDER BY r.id, l.level DESC;

INSERT INTO approvals_approvaldecision (request_id, user_id, user_name, role, level,
    region_id, requirement_id, delegation_id, verdict, reason, decided_at)
SELECT q.request_id, u.id, u.first_name, 'finance_officer', 'city', q.region_id, q.id, NULL,
       'approve', '', now()
FROM approvals_approvalrequirement q
JOIN access_user u ON u.username = 'officer.370500'
WHERE q.level = 'city' AND NOT q.is_open;
"""


def median_ms(fn, repeat=REPEAT):
    fn()  # warm
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 2)


def seed(connection):
    log(f"seeding {REQUESTS} pending requests")
    start = time.perf_counter()
    with connection.cursor() as cur:
        # Seeding only: skip the audit backstop's per-row capture (a superuser session).
        cur.execute("SET session_replication_role = replica")
        cur.execute(REGIONS_SQL, {"counties": COUNTIES, "townships": TOWNSHIPS})
        cur.execute(USERS_SQL)
        cur.execute(REQUESTS_SQL, {"requests": REQUESTS})
        cur.execute("SET session_replication_role = origin")
        cur.execute("ANALYZE")
    log(f"  seeded in {time.perf_counter() - start:.1f}s")


def main():
    reuse = os.environ.get("BENCH_REUSE") == "1"  # measure again on the seeded database
    if not reuse:
        log("recreating and migrating", DB_URL)
        recreate_database()
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from access.models import User
    from approvals.registry import register_step
    from federations.models import Region

    register_step(
        "bench_step",
        label="基准测试",
        on_approved=lambda request, **kw: None,
        on_rejected=lambda request, **kw: None,
        describe=lambda ids: {i: f"对象 {i}" for i in ids},
    )
    if not reuse:
        seed(connection)

    city = Region.objects.get(level="city")
    county = Region.objects.filter(level="county").order_by("path").first()
    township = Region.objects.filter(level="township").order_by("path").first()

    def get(username, url):
        client = APIClient()
        client.force_authenticate(User.objects.get(username=username))  # nothing cached
        response = client.get(url)
        assert response.status_code == 200, response.content[:300]
        return response

    city_officer = f"officer.{city.code}"
    figures = {"pending_requests": REQUESTS}
    with CaptureQueriesContext(connection) as ctx:
        body = get(city_officer, "/api/v1/approvals/").json()
    # The user's own load (one query) is the authentication's, not the inbox's.
    figures["inbox_queries"] = len(ctx.captured_queries) - 1
    figures["inbox_count"] = body["count"]
    figures["inbox_rows"] = len(body["results"])
    figures["inbox_first_page_ms"] = median_ms(lambda: get(city_officer, "/api/v1/approvals/"))
    figures["inbox_by_amount_ms"] = median_ms(
        lambda: get(city_officer, "/api/v1/approvals/?ordering=-amount")
    )
    figures["inbox_filtered_ms"] = median_ms(
        lambda: get(city_officer, f"/api/v1/approvals/?region={county.pk}")
    )
    figures["inbox_township_ms"] = median_ms(
        lambda: get(f"officer.{township.code}", "/api/v1/approvals/")
    )
    # Where the time goes on a shared, loaded machine: this process's CPU time for the
    # request (Python: Django, DRF, building the SQL and the rows) and the time spent
    # waiting on the database's answers.
    cpu, db = [], []
    for _ in range(REPEAT):
        with CaptureQueriesContext(connection) as ctx:
            start = time.process_time()
            get(city_officer, "/api/v1/approvals/")
            cpu.append((time.process_time() - start) * 1000)
        db.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
    figures["inbox_first_page_cpu_ms"] = round(statistics.median(cpu), 2)
    figures["inbox_first_page_db_ms"] = round(statistics.median(db), 2)
    # What any request costs here (middleware, authentication, one role query): the floor.
    figures["baseline_me_ms"] = median_ms(lambda: get(city_officer, "/api/v1/me/"))
    figures["load_average"] = round(os.getloadavg()[0], 2)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
