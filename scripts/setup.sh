#!/usr/bin/env bash
# Create the virtualenv and install the pinned requirements (idempotent); install Debian's
# chromium for the browser tests when it is missing (Playwright drives it; it never
# downloads a browser of its own).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -r requirements.txt
if [ "${SKIP_BROWSER_SETUP:-0}" != "1" ] && ! [ -x /usr/bin/chromium ]; then
  echo "Installing Debian's chromium for the browser tests" >&2
  sudo_=""
  [ "$(id -u)" = "0" ] || sudo_="sudo"
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq chromium >/dev/null
fi
