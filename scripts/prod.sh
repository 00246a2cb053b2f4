#!/usr/bin/env bash
# A production-like run on one machine: PostgreSQL and Redis (started when installed but
# stopped), migrate as the owner, collectstatic, gunicorn with several workers, a Celery
# worker and Celery beat, all with config.settings.production.
#
#   scripts/prod.sh            # start, wait until healthy, run in the foreground; Ctrl-C stops all
#   scripts/prod.sh start      # the same, but return once healthy (processes keep running)
#   scripts/prod.sh stop       # stop what `start` started (SIGTERM, then SIGKILL after 20 s)
#   scripts/prod.sh status     # which of the three processes run; exit 1 if one does not
#
# The environment names the secrets, as production does (README "Production-like run"):
# SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL (the application's limited role), DATABASE_OWNER_URL
# (the owner, for migrate only), REDIS_URL. Optional: GUNICORN_BIND (127.0.0.1:8000),
# WEB_CONCURRENCY (4 workers), CELERY_CONCURRENCY (2), PROD_RUN_DIR (var/prod: pid files,
# logs, beat's schedule), PROD_SKIP_SERVICES=1 (PostgreSQL and Redis run elsewhere).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PY="$ROOT/.venv/bin/python"
RUN_DIR="${PROD_RUN_DIR:-$ROOT/var/prod}"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.production}"
export GUNICORN_BIND="${GUNICORN_BIND:-127.0.0.1:8000}"
export WEB_CONCURRENCY="${WEB_CONCURRENCY:-4}"
CELERY_CONCURRENCY="${CELERY_CONCURRENCY:-2}"
NAMES=(web worker beat)

log() { echo "prod.sh: $*" >&2; }

pid_of() {  # the pid recorded for a process name, if it still runs
  local file="$RUN_DIR/$1.pid" pid
  [[ -s "$file" ]] || return 1
  pid="$(cat "$file")"
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

stop_all() {
  local pid name waited
  for name in beat worker web; do  # beat first: it queues work for the worker
    if pid="$(pid_of "$name")"; then
      log "stopping $name (process group $pid)"
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  for waited in $(seq 1 40); do
    local left=0
    for name in "${NAMES[@]}"; do pid_of "$name" >/dev/null && left=1; done
    (( left )) || break
    sleep 0.5
  done
  for name in "${NAMES[@]}"; do
    if pid="$(pid_of "$name")"; then
      log "$name did not stop in 20 s: killing process group $pid"
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    rm -f "$RUN_DIR/$name.pid"
  done
}

status() {
  local name pid bad=0
  for name in "${NAMES[@]}"; do
    if pid="$(pid_of "$name")"; then echo "$name: running (pid $pid)"; else echo "$name: stopped"; bad=1; fi
  done
  return $bad
}

launch() {  # launch NAME COMMAND...: its own session (process group), logs in the run dir
  local name="$1"; shift
  setsid "$@" >>"$RUN_DIR/$name.log" 2>&1 < /dev/null &
  echo $! >"$RUN_DIR/$name.pid"
}

healthy() {  # the web answers (anything but a 5xx), the worker answers a ping, beat runs
  local code
  code="$("$PY" - "$GUNICORN_BIND" <<'PY'
import sys, urllib.request, urllib.error
host = sys.argv[1].replace("0.0.0.0", "127.0.0.1")
request = urllib.request.Request(
    f"http://{host}/api/v1/me/", headers={"X-Forwarded-Proto": "https"}
)
try:
    print(urllib.request.urlopen(request, timeout=3).status)
except urllib.error.HTTPError as exc:
    print(exc.code)
except OSError:
    print(0)
PY
)"
  (( code > 0 && code < 500 )) || return 1
  pid_of beat >/dev/null || return 1
  .venv/bin/celery -A config inspect ping -t 2 -d "$WORKER_NAME" >/dev/null 2>&1
}

start() {
  mkdir -p "$RUN_DIR"
  for name in "${NAMES[@]}"; do
    if pid_of "$name" >/dev/null; then
      log "$name already runs (pid $(pid_of "$name")); run 'scripts/prod.sh stop' first"
      exit 1
    fi
  done
  for var in SECRET_KEY ALLOWED_HOSTS DATABASE_URL DATABASE_OWNER_URL REDIS_URL; do
    [[ -n "${!var:-}" ]] || { log "set $var (README: Production-like run)"; exit 1; }
  done
  [[ "${PROD_SKIP_SERVICES:-}" == 1 ]] || bash scripts/services.sh
  log "migrating as the owner (DATABASE_OWNER_URL)"
  "$PY" manage.py migrate --noinput -v0
  # Static files (whitenoise's compressed manifest): collected again only when a static file
  # of the project or the requirements changed since the last collection (it takes minutes).
  local manifest="$ROOT/staticfiles/staticfiles.json"
  if [[ ! -f "$manifest" || -n "$(find "$ROOT"/*/static "$ROOT/requirements.txt" -newer "$manifest" \
        -print -quit 2>/dev/null)" ]]; then
    log "collecting static files"
    "$PY" manage.py collectstatic --noinput -v0
  fi
  WORKER_NAME="fundmgr-$(basename "$RUN_DIR")@$(hostname)"
  echo "$WORKER_NAME" >"$RUN_DIR/worker.name"
  log "starting gunicorn ($WEB_CONCURRENCY workers on $GUNICORN_BIND), a Celery worker and beat"
  launch web .venv/bin/gunicorn -c config/gunicorn.conf.py --control-socket "$RUN_DIR/gunicorn.ctl" \
    config.wsgi
  launch worker .venv/bin/celery -A config worker -l info -c "$CELERY_CONCURRENCY" -n "$WORKER_NAME"
  launch beat .venv/bin/celery -A config beat -l info -s "$RUN_DIR/celerybeat-schedule"
  for _ in $(seq 1 120); do
    if healthy; then
      log "healthy: http://$GUNICORN_BIND/ (logs in $RUN_DIR)"
      return 0
    fi
    for name in "${NAMES[@]}"; do
      pid_of "$name" >/dev/null || { log "$name exited; see $RUN_DIR/$name.log"; stop_all; exit 1; }
    done
    sleep 1
  done
  log "not healthy after 120 s; see the logs in $RUN_DIR"
  stop_all
  exit 1
}

case "${1:-run}" in
  start) start ;;
  stop) stop_all ;;
  status) status ;;
  run)
    trap 'stop_all; exit 0' INT TERM
    start
    log "running; Ctrl-C stops everything"
    while status >/dev/null; do sleep 2; done
    log "a process exited; stopping the others"
    stop_all
    exit 1
    ;;
  *) echo "usage: scripts/prod.sh [run|start|stop|status]" >&2; exit 2 ;;
esac
