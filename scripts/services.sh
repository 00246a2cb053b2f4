#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer; start them when they are installed but stopped.
# Exits non-zero when either cannot be reached: the tests never skip them.
set -uo pipefail

pg_up() { python3 - <<'PY'
import socket, sys
s = socket.socket(); s.settimeout(1)
sys.exit(0 if s.connect_ex(("127.0.0.1", 5432)) == 0 else 1)
PY
}
redis_up() { python3 - <<'PY'
import socket, sys
s = socket.socket(); s.settimeout(1)
try:
    s.connect(("127.0.0.1", 6379)); s.sendall(b"PING\r\n")
    sys.exit(0 if s.recv(16).startswith(b"+PONG") else 1)
except OSError:
    sys.exit(1)
PY
}

if ! pg_up; then
  echo "PostgreSQL is not answering; starting it" >&2
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    for v in $(ls /etc/postgresql 2>/dev/null); do
      pg_ctlcluster --skip-systemctl-redirect "$v" main start || true
    done
  fi
fi
if ! redis_up; then
  echo "Redis is not answering; starting it" >&2
  if command -v redis-server >/dev/null 2>&1; then
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true
  fi
fi
for _ in $(seq 1 30); do
  pg_up && redis_up && exit 0
  sleep 1
done
pg_up || echo "FATAL: PostgreSQL is not reachable on 127.0.0.1:5432" >&2
redis_up || echo "FATAL: Redis is not reachable on 127.0.0.1:6379" >&2
exit 1
