"""Federations benchmark: the policy-target report and the register import at city scale.

    python bench/federations.py      # (re)creates and migrates fund_fed_bench, then measures
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/other python bench/federations.py

It (re)creates its own database, migrates it and inserts, in plain SQL, a city of
BENCH_COUNTIES (10) counties × BENCH_TOWNSHIPS (20) townships × BENCH_COMMUNITIES (30)
communities (6,000; half urban, half rural) with 0–14 organizations each (about 42,000),
a federation in four townships of five and 0–3 social workers each. Figures:

- report_city_ms / report_county_ms / report_township_ms: median time of
  `federations.reports.target_progress()` for the city (211 rows), one county (21 rows)
  and one township (1 row); report_queries: the queries it runs (constant: 4).
- report_api_city_ms: GET /api/v1/reports/targets/?region=<city> as an administrator.
- export_xlsx_city_ms: the city's XLSX export.
- import_rows_per_s: `import_organizations` of a BENCH_IMPORT_ROWS (2,000) row CSV, all valid
  (validation of every row, then the inserts with their history and categories);
  import_refused_ms: the same file with one bad row at the end (everything validated,
  nothing written).

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

DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fund_fed_bench")
COUNTIES = int(os.environ.get("BENCH_COUNTIES", 10))
TOWNSHIPS = int(os.environ.get("BENCH_TOWNSHIPS", 20))
COMMUNITIES = int(os.environ.get("BENCH_COMMUNITIES", 30))
IMPORT_ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", 2000))
REPEAT = int(os.environ.get("BENCH_REPEAT", 10))
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


SEED_SQL = """
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

INSERT INTO federations_region (code, name, level, area_type, path, parent_id)
SELECT p.code || lpad(k::text, 3, '0'), p.name || '社区' || k, 'community',
       CASE WHEN k %% 2 = 0 THEN 'urban' ELSE 'rural' END,
       p.path || p.code || lpad(k::text, 3, '0') || '/', p.id
FROM federations_region p, generate_series(1, %(communities)s) k WHERE p.level = 'township';

INSERT INTO federations_organization (name, community_id, credit_code, legal_status,
    representative_name, representative_phone, representative_id_number, founded_on,
    party_form, party_established_on, party_ended_on, is_brand, brand_year, state)
SELECT '组织' || r.id || '-' || k, r.id, '', 'filed', '负责人', '', '', DATE '2020-01-01',
       'none', NULL, NULL, (k = 1 AND r.id %% 3 <> 0),
       CASE WHEN k = 1 AND r.id %% 3 <> 0 THEN 2024 END,
       CASE WHEN k = 7 THEN 'suspended' ELSE 'active' END
FROM federations_region r, generate_series(1, 14) k
WHERE r.level = 'community' AND k <= r.id %% 15;

INSERT INTO federations_federation (name, township_id, kind, credit_code, registered_on,
    head_name, head_is_township_official, head_approval_reference, is_active)
SELECT t.name || '联合会', t.id, 'federation', '', NULL, '会长', false, '', true
FROM federations_region t WHERE t.level = 'township' AND t.id %% 5 <> 0;

INSERT INTO federations_federationstaff (federation_id, name, phone, user_id,
    is_social_worker, is_full_time, started_on, ended_on)
SELECT f.id, '社工' || s, '', NULL, true, false, DATE '2020-01-01', NULL
FROM federations_federation f, generate_series(1, 3) s WHERE s <= f.id %% 4;
"""


def median_ms(fn, repeat=REPEAT):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 2)


def main():
    log("recreating and migrating", DB_URL)
    recreate_database()
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from access.models import User
    from federations.importing import ImportRefused, import_organizations
    from federations.models import Organization, Region
    from federations.reports import export_xlsx, target_progress

    log("seeding")
    with connection.cursor() as cur:
        cur.execute(
            SEED_SQL,
            {"counties": COUNTIES, "townships": TOWNSHIPS, "communities": COMMUNITIES},
        )
    organizations = Organization.objects.count()
    city = Region.objects.get(level="city")
    county = Region.objects.filter(level="county").order_by("path").first()
    township = Region.objects.filter(level="township").order_by("path").first()
    admin = User(username="bench.admin", is_superuser=True, is_staff=True)
    admin.set_password("x")
    admin.save()

    figures = {
        "communities": Region.objects.filter(level="community").count(),
        "organizations": organizations,
    }
    with CaptureQueriesContext(connection) as ctx:
        rows = target_progress(city)
    figures["report_queries"] = len(ctx.captured_queries)
    figures["report_rows_city"] = len(rows)
    log("report")
    figures["report_city_ms"] = median_ms(lambda: target_progress(city))
    figures["report_county_ms"] = median_ms(lambda: target_progress(county))
    figures["report_township_ms"] = median_ms(lambda: target_progress(township))
    client = Client()
    client.force_login(admin)
    url = f"/api/v1/reports/targets/?region={city.pk}"
    assert client.get(url).status_code == 200
    figures["report_api_city_ms"] = median_ms(lambda: client.get(url))
    figures["export_xlsx_city_ms"] = median_ms(
        lambda: export_xlsx(target_progress(city), title="bench"), repeat=3
    )

    log("import")
    communities = list(
        Region.objects.filter(level="community").values_list("code", flat=True)[:IMPORT_ROWS]
    )
    header = "名称,社区代码,法律地位,类别,负责人,成立日期"
    lines = [
        f"导入组织{i},{communities[i % len(communities)]},备案,舞蹈、健身,负责人{i},2021-05-01"
        for i in range(IMPORT_ROWS)
    ]
    bad = ("\n".join([header, *lines, "坏行,000000000000,备案,舞蹈,某,2021-05-01"]) + "\n").encode()
    start = time.perf_counter()
    try:
        import_organizations(actor=admin, data=bad, filename="bench.csv")
    except ImportRefused:
        pass
    figures["import_refused_ms"] = round((time.perf_counter() - start) * 1000, 1)
    good = ("\n".join([header, *lines]) + "\n").encode()
    start = time.perf_counter()
    result = import_organizations(actor=admin, data=good, filename="bench.csv")
    elapsed = time.perf_counter() - start
    assert result.created == IMPORT_ROWS
    figures["import_rows"] = IMPORT_ROWS
    figures["import_rows_per_s"] = round(IMPORT_ROWS / elapsed, 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
