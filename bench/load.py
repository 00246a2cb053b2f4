"""The system under load: the money path over HTTP against a production-like run.

    python bench/load.py          # (re)creates fund_load_bench, builds the world, runs, checks
    BENCH_REDIS_URL=redis://127.0.0.1:6379/3 BENCH_SECONDS=60 python bench/load.py

It (re)creates its own database (BENCH_DATABASE_URL, a superuser's URL: the owner that
migrates; the application connects as BENCH_APP_ROLE, `fundmgr_app`, which migrate grants),
migrates it as the owner, builds the world through the services (tests/e2e/money_load.py:
custody members with funded custodial accounts, approved and forwarded expense claims worth
more than the accounts hold, custody projects with accepted milestones, half of their payments
requested), starts `scripts/prod.sh` (gunicorn with WEB_CONCURRENCY workers, a Celery worker
and beat, production settings, loopback only: 127.0.0.1:BENCH_PORT), then drives the money
path with BENCH_THREADS concurrent jobs, each racing two users on the same request: claim
approvals, payouts retried with the same key, milestone payment requests retried with the
same key, payment approvals, arrival confirmations. Bounded by BENCH_SECONDS and
BENCH_MAX_REQUESTS. It stops everything it started, then checks from the database: no account
overdrawn, no claim or milestone paid twice, every retried key booked once, no approval
decided twice, `ledger_verify` and `audit_verify` pass.

The last line printed is one JSON object: requests_per_s, p50_ms, p99_ms, errors_5xx, the
requests by status class and the refusals by status and code, the invariants, the two
verifications, what the Celery worker and beat (the chain sealer every 10 s) logged as errors,
gunicorn's worker timeouts, the machine's load. Exits 1 when an invariant fails (a 5xx, an
answer the rules do not allow, a task error included). The servers' logs stay in var/load/.
"""

import hashlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OWNER_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fund_load_bench"
)
APP_ROLE = os.environ.get("BENCH_APP_ROLE", "fundmgr_app")
_owner = urlparse(OWNER_URL)
APP_URL = f"postgres://{APP_ROLE}@{_owner.hostname}:{_owner.port or 5432}{_owner.path}"
PORT = int(os.environ.get("BENCH_PORT", 8123))
SIZES = {
    "members": int(os.environ.get("BENCH_MEMBERS", 6)),
    "approved": int(os.environ.get("BENCH_APPROVED", 4)),
    "forwarded": int(os.environ.get("BENCH_FORWARDED", 8)),
    "milestones": int(os.environ.get("BENCH_MILESTONES", 8)),
}
THREADS = int(os.environ.get("BENCH_THREADS", 12))
SECONDS = float(os.environ.get("BENCH_SECONDS", 180))
MAX_REQUESTS = int(os.environ.get("BENCH_MAX_REQUESTS", 6000))
RUN_DIR = ROOT / "var" / "load"

os.environ.update(
    DJANGO_SETTINGS_MODULE="config.settings.production",
    # One key for this run, in the builder and the servers alike: the ledger's proofs are
    # derived from it, so verification must see the same one.
    SECRET_KEY=os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
    ALLOWED_HOSTS="127.0.0.1,localhost",
    DATABASE_URL=APP_URL,
    DATABASE_OWNER_URL=OWNER_URL,
    REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
    GUNICORN_BIND=f"127.0.0.1:{PORT}",
    PROD_RUN_DIR=str(RUN_DIR),
    PRIVATE_MEDIA_ROOT=tempfile.mkdtemp(prefix="load-private-"),
    MEDIA_ROOT=tempfile.mkdtemp(prefix="load-media-"),
    LOG_LEVEL="ERROR",
)
os.environ.setdefault("WEB_CONCURRENCY", "4")


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def manage(*args, check=True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, check=check, capture_output=not check,
        text=True,
    )  # fmt: skip


def _schema_fingerprint() -> str:
    """What the migrated schema depends on: the migrations and what runs after them."""
    digest = hashlib.sha256()
    files = sorted(ROOT.glob("*/migrations/*.py"))
    files += [ROOT / "core" / f for f in ("triggers.py", "roles.py", "apps.py", "chain.py")]
    files += [ROOT / "audit" / "apps.py"]
    for path in files:
        if path.exists():
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:32]


def recreate_database():
    """Drop and create the bench database as a copy of a migrated template, migrated again
    (as the owner) only when the migrations changed; a migrate takes minutes."""
    import psycopg

    name = _owner.path.lstrip("/")
    template = f"{name}_template"
    admin_url = OWNER_URL.rsplit("/", 1)[0] + "/postgres"
    fingerprint = _schema_fingerprint()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [template],
        ).fetchone()
        if not row or row[0] != fingerprint:
            conn.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{template}"')
            log("migrating the template as the owner (once per schema) ...")
            env = {**os.environ,
                   "DATABASE_URL": APP_URL.replace(f"/{name}", f"/{template}"),
                   "DATABASE_OWNER_URL": OWNER_URL.replace(f"/{name}", f"/{template}")}  # fmt: skip
            subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
                           cwd=ROOT, env=env, check=True)  # fmt: skip
            conn.execute(f"COMMENT ON DATABASE \"{template}\" IS '{fingerprint}'")
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


def prod(command):
    subprocess.run(["bash", "scripts/prod.sh", command], cwd=ROOT, check=True)


def verify(command) -> str:
    done = manage(command, check=False)
    if done.returncode:
        log(done.stdout[-2000:], done.stderr[-2000:])
    return "ok" if done.returncode == 0 else "failed"


def main():
    subprocess.run(["bash", "scripts/services.sh"], cwd=ROOT, check=True)
    prod("stop")  # a run left over from an interrupted bench
    recreate_database()
    import django

    django.setup()
    from core.context import acting_as
    from tests.e2e import money_load

    started = time.perf_counter()
    with acting_as(username="bench", label="bench"):
        log("building the world through the services ...", SIZES)
        world = money_load.build_world(**SIZES)
    built_s = time.perf_counter() - started
    from django.db import connections

    connections.close_all()
    for old in RUN_DIR.glob("*.log"):  # this run's logs only
        old.unlink()
    log("starting scripts/prod.sh ...")
    try:
        prod("start")
        log(f"driving the load: {THREADS} jobs at once, at most {SECONDS:.0f} s, "
            f"{MAX_REQUESTS} requests ...")  # fmt: skip
        outcome = money_load.drive(
            f"http://127.0.0.1:{PORT}", world, seconds=SECONDS, max_requests=MAX_REQUESTS,
            threads=THREADS,
        )  # fmt: skip
        load_average = os.getloadavg()[0]
    finally:
        prod("stop")
    result = outcome.figures()
    result.update(money_load.check(world, outcome))
    log("verifying ...")
    result["ledger_verify"] = verify("ledger_verify")
    result["audit_verify"] = verify("audit_verify")
    # What the worker and beat (the sealer every 10 s) and gunicorn logged as errors meanwhile.
    logged = {name: (RUN_DIR / f"{name}.log").read_text(errors="replace") for name in
              ("web", "worker", "beat")}  # fmt: skip
    result["task_errors"] = sum(text.count("ERROR/") for text in (logged["worker"], logged["beat"]))
    result["tasks_succeeded"] = logged["worker"].count(" succeeded in ")
    result["web_worker_timeouts"] = logged["web"].count("WORKER TIMEOUT")
    result.update(
        web_workers=int(os.environ["WEB_CONCURRENCY"]), threads=THREADS, users=len(world.users),
        accounts=len(world.accounts), world_build_s=round(built_s, 1),
        load_average=round(load_average, 2),
    )  # fmt: skip
    for label, status, body in outcome.unexpected[:20]:
        log("unexpected:", label, status, body)
    bad = money_load.failures(result)
    bad += [name for name in ("task_errors", "web_worker_timeouts") if result[name]]
    if bad:
        log("FAILED:", ", ".join(bad))
    print(json.dumps(result, ensure_ascii=False))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
