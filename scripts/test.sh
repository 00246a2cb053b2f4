#!/usr/bin/env bash
# Set up and run the whole test suite: the PostgreSQL and Redis pass, then the SQLite pass
# (tests/sqlite: the demo's own path on SQLite; tests/browser: headless Chromium over the
# seeded demo). Extra arguments go to pytest; a test path picks the pass it belongs to.
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

# Split the arguments: paths under tests/sqlite or tests/browser go to the SQLite pass, other
# paths to the PostgreSQL pass, options to both. With no path, both passes run everything.
options=() pg_paths=() sqlite_paths=()
for arg in "$@"; do
  case "$arg" in
    tests/sqlite*|tests/browser*) sqlite_paths+=("$arg") ;;
    tests*) pg_paths+=("$arg") ;;
    *) options+=("$arg") ;;
  esac
done
run_pg=1 run_sqlite=1
if (( ${#pg_paths[@]} + ${#sqlite_paths[@]} > 0 )); then
  (( ${#pg_paths[@]} > 0 )) || run_pg=0
  (( ${#sqlite_paths[@]} > 0 )) || run_sqlite=0
fi
status=0
if (( run_pg )); then
  echo "== PostgreSQL and Redis pass" >&2
  .venv/bin/python -m pytest "${options[@]}" "${pg_paths[@]}" || status=$?
fi
if (( run_sqlite )); then
  echo "== SQLite pass: the demo's database (tests/sqlite) and headless Chromium (tests/browser)" >&2
  (( ${#sqlite_paths[@]} > 0 )) || sqlite_paths=(tests/sqlite tests/browser)
  DJANGO_SETTINGS_MODULE=config.settings.test_sqlite \
    .venv/bin/python -m pytest "${options[@]}" "${sqlite_paths[@]}" || status=$?
fi
exit $status
