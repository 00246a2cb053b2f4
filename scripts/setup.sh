#!/usr/bin/env bash
# Create the virtualenv and install the pinned requirements (idempotent); install Debian's
# chromium (and a Chinese font) for the browser tests when missing (Playwright drives it; it never
# downloads a browser of its own).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -r requirements.txt
if [ "${SKIP_BROWSER_SETUP:-0}" != "1" ]; then
  packages=()
  [ -x /usr/bin/chromium ] || packages+=(chromium)
  # A Chinese font, so the screenshots of failing pages are readable.
  { command -v fc-list >/dev/null && [ -n "$(fc-list :lang=zh 2>/dev/null)" ]; } || packages+=(fonts-wqy-zenhei)
  if (( ${#packages[@]} > 0 )); then
    echo "Installing ${packages[*]} for the browser tests" >&2
    sudo_=""
    [ "$(id -u)" = "0" ] || sudo_="sudo"
    $sudo_ apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq "${packages[@]}" >/dev/null
  fi
fi
