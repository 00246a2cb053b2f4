#!/usr/bin/env bash
# Set up and run the demo: SQLite and in-process tasks unless DATABASE_URL / REDIS_URL are set.
set -euo pipefail
cd "$(dirname "$0")/.."
SKIP_BROWSER_SETUP=1 bash scripts/setup.sh  # the demo needs no browser
export DJANGO_SETTINGS_MODULE=config.settings.local
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py seed_demo --year "${DEMO_YEAR:-$(date +%Y)}"
port="${PORT:-8000}"
echo
echo "管理后台 / admin:  http://127.0.0.1:${port}/admin/"
echo "API:              http://127.0.0.1:${port}/api/v1/me/   docs: http://127.0.0.1:${port}/api/docs/"
exec .venv/bin/python manage.py runserver "127.0.0.1:${port}"
