"""Projects benchmark: milestone payments through the service layer, and a county's list.

    python bench/projects.py      # (re)creates and migrates fund_projects_bench, then measures
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/other python bench/projects.py

It (re)creates its own database and migrates it, then builds through the services the test
world (regions, officers, approval policies, a registered undertaker) and one project funded
by three budget lines of three sources, contracted with BENCH_PAYMENTS (300) milestones,
each accepted with evidence and its payment requested. Figures:

- milestone_payments_per_s: the final approval of each payment (`approvals.request_approve`
  as the county officer: the engine's decision, the split across the three sources — three
  ledger transfers with their source tags — the payment, its parts and the milestone with
  their history), one after another on one connection, each its own transaction;
- milestone_payment_ms: the median time of one such approval; milestone_payment_queries:
  the SQL statements of one (the first, counted apart and not timed; every statement the
  application sends is counted, the ledger's call included; BEGIN and COMMIT are not);
- projects_list_ms: GET /api/v1/projects/ (first page) as the county's finance officer
  through the whole Django/DRF stack, over BENCH_PROJECTS (10,000) projects of the county
  (inserted in plain SQL), median of BENCH_REPEAT runs, each as a freshly loaded user;
  projects_list_queries: the queries it runs (the same whatever the number of projects);
- load_average: the machine's 1-minute load when measured (it is shared).

With BENCH_PROFILE=1 it prints the cProfile of the payments to stderr.
The last line printed is one JSON object.
"""

import cProfile
import datetime
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fund_projects_bench"
)
PAYMENTS = int(os.environ.get("BENCH_PAYMENTS", 300))
PROJECTS = int(os.environ.get("BENCH_PROJECTS", 10_000))
REPEAT = int(os.environ.get("BENCH_REPEAT", 20))
os.environ["DATABASE_URL"] = DB_URL
os.environ["REDIS_URL"] = ""
os.environ["PRIVATE_MEDIA_ROOT"] = tempfile.mkdtemp(prefix="projects-bench-")
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


def build_payments():
    """The world and PAYMENTS requested payments waiting for their final approval."""
    from approvals.models import ApprovalRequest
    from projects import services
    from projects.models import Milestone
    from tests.factories import make_region_tree
    from tests.projects.factories import YEAR, ProjectsWorld, make_world, pdf

    world: ProjectsWorld = make_world(make_region_tree())
    share = Decimal("10.00")
    price = share * PAYMENTS
    lines = world.lines(str(price * 2), str(price * 3), str(price * 5))
    project = world.project()
    for line, weight in zip(lines, (2, 3, 5), strict=True):
        world.allocate(project, line, str(price * weight / 10))
    contract = services.contract_create(
        actor=world["town_a"], project_id=project.pk, content="bench",
        term_start=datetime.date(YEAR, 1, 1), term_end=datetime.date(YEAR, 12, 31), price=price,
    )  # fmt: skip
    for i in range(1, PAYMENTS + 1):
        services.milestone_add(
            actor=world["town_a"], project_id=project.pk, number=i, title=f"m{i}",
            due_on=datetime.date(YEAR, 12, 1), amount=share,
        )  # fmt: skip
    services.contract_submit(actor=world["town_a"], contract_id=contract.pk)
    world.approve(contract)
    services.contract_sign(actor=world["town_a"], contract_id=contract.pk,
                           signed_on=datetime.date(YEAR, 1, 1), scan=pdf())  # fmt: skip
    requests = []
    for milestone in Milestone.objects.filter(project=project).order_by("number"):
        services.evidence_upload(actor=world["town_a"], milestone_id=milestone.pk, file=pdf())
        services.milestone_accept(actor=world["town_a"], milestone_id=milestone.pk,
                                  accepted_on=datetime.date(YEAR, 6, 1), note="ok")  # fmt: skip
        payment = services.payment_request(
            actor=world["town_a"], milestone_id=milestone.pk, idempotency_key=f"b{milestone.pk}"
        )
        requests.append(
            ApprovalRequest.objects.get(
                owner_type="projects.milestonepayment", owner_id=payment.pk, state="pending"
            ).pk
        )
    return world, project, lines, requests


def measure_payments(world, requests):
    from django.contrib.auth import get_user_model

    from approvals import services as approvals

    approver = get_user_model().objects.get(pk=world["county2"].pk)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    with CaptureQueriesContext(connection) as captured:  # the first one, counted
        approvals.request_approve(actor=approver, request_id=requests[0], reason="同意")
    queries = len(captured)
    requests = requests[1:]
    profile = cProfile.Profile() if os.environ.get("BENCH_PROFILE") else None
    start = time.perf_counter()
    for request_id in requests:
        t0 = time.perf_counter()
        if profile:
            profile.enable()
        approvals.request_approve(actor=approver, request_id=request_id, reason="同意")
        if profile:
            profile.disable()
        times.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - start
    if profile:
        pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(45)
    return len(requests) / elapsed, statistics.median(times) * 1000, queries, len(requests)


def load_projects(world, count):
    """`count` projects of the county's townships, inserted in plain SQL."""
    from django.db import connection

    from projects.models import Project

    sample = Project.objects.order_by("id").first()
    towns = [world.r["town_a"].pk, world.r["town_b"].pk]
    with connection.cursor() as c:
        c.execute(
            """
            INSERT INTO projects_project (title, description, purchaser_id, category,
                catalogue_code, negative_item, transfers_government_function, undertaker_id,
                custody_federation_id, member_id, party_organization_id, fiscal_year_id,
                budget_amount, state, demand_id, offer_id, created_by_id, created_at)
            SELECT '项目' || g, '', (ARRAY[%s, %s])[1 + g %% 2], 'elderly_care', 'A0501', '',
                   false, %s, NULL, NULL, %s, %s, 1000.00 + g,
                   (ARRAY['draft','approved','contracted','in_progress','closed'])[1 + g %% 5],
                   NULL, NULL, %s, now()
            FROM generate_series(1, %s) g
            """,
            [*towns, sample.undertaker_id, sample.party_organization_id, sample.fiscal_year_id,
             sample.created_by_id, count],
        )  # fmt: skip
        c.execute("ANALYZE projects_project")


def measure_list(world):
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    user = get_user_model().objects.get(pk=world["county"].pk)
    client = Client()
    client.force_login(user)
    times, queries = [], None
    for i in range(REPEAT + 1):
        with CaptureQueriesContext(connection) as captured:
            t0 = time.perf_counter()
            response = client.get("/api/v1/projects/")
            elapsed = time.perf_counter() - t0
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        assert body["count"] >= PROJECTS, body.get("count")
        if i:
            times.append(elapsed * 1000)
        queries = len(captured)
    return statistics.median(times), queries, len(body["results"])


def main():
    recreate_database()
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's templates; ALLOWED_HOSTS gets testserver
    from core.context import acting_as

    with acting_as(username="bench", label="bench"):
        log("building the world and", PAYMENTS, "requested payments ...")
        world, project, lines, requests = build_payments()
        log("approving them ...")
        rate, median_ms, payment_queries, measured = measure_payments(world, requests)
        from ledger.selectors import balance

        paid = sum(balance(line.account_id).available for line in lines)
        log("loading", PROJECTS, "projects ...")
        load_projects(world, PROJECTS)
    list_ms, list_queries, page = measure_list(world)
    result = {
        "milestone_payments_per_s": round(rate, 1),
        "milestone_payment_ms": round(median_ms, 2),
        "milestone_payment_queries": payment_queries,
        "payments": measured,
        "projects_list_ms": round(list_ms, 1),
        "projects_list_queries": list_queries,
        "projects_list_page_rows": page,
        "projects": PROJECTS,
        "lines_left_after_payments": str(paid),
        "load_average": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
