#!/usr/bin/env bash
# Set up and run the whole test suite on PostgreSQL and Redis. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/services.sh
export DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/fundmgr}"
export REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}"
export DJANGO_SETTINGS_MODULE=config.settings.test
# The named database exists too (pytest makes test_<name>), so migration checks can connect.
.venv/bin/python - <<'PY'
import os, psycopg
from urllib.parse import urlparse
url = urlparse(os.environ["DATABASE_URL"])
name = url.path.lstrip("/")
with psycopg.connect(os.environ["DATABASE_URL"].replace(f"/{name}", "/postgres"), autocommit=True) as conn:
    if not conn.execute("select 1 from pg_database where datname = %s", [name]).fetchone():
        conn.execute(f'create database "{name}"')
PY
.venv/bin/python manage.py makemigrations --check --dry-run -v0 \
  || { echo "Models and migrations differ: run makemigrations" >&2; exit 1; }
# The layers (DESIGN.md section 4) and the forbidden imports: a wrong import fails here.
.venv/bin/lint-imports --no-cache \
  || { echo "An import breaks the layers (.importlinter)" >&2; exit 1; }
exec .venv/bin/python -m pytest "$@"
