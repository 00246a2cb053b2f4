#!/usr/bin/env bash
# Create the virtualenv and install the pinned requirements (idempotent); install Debian's pango
# and a Chinese font (PDFs) and chromium for the browser tests when missing (Playwright drives it;
# it never downloads a browser of its own).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -r requirements.txt
packages=()
# PDFs (receipts, statements) are drawn by WeasyPrint with Debian's pango and a Chinese font;
# the demo needs them too.
ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 || packages+=(libpango-1.0-0 libpangoft2-1.0-0)
{ command -v fc-list >/dev/null && [ -n "$(fc-list :lang=zh 2>/dev/null)" ]; } || packages+=(fonts-wqy-zenhei fontconfig)
if [ "${SKIP_BROWSER_SETUP:-0}" != "1" ]; then
  [ -x /usr/bin/chromium ] || packages+=(chromium)
fi
if (( ${#packages[@]} > 0 )); then
  echo "Installing ${packages[*]} (PDFs, browser tests)" >&2
  sudo_=""
  [ "$(id -u)" = "0" ] || sudo_="sudo"
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq "${packages[@]}" >/dev/null
fi
