#!/usr/bin/env bash
# Refresh the gettext catalogues: one per app (app/locale) and one for config (locale/).
# Then fill in msgstr for new entries and run: .venv/bin/python manage.py compilemessages
set -euo pipefail
cd "$(dirname "$0")/.."
py="$PWD/.venv/bin/python"
for app in core access audit federations funds projects escrow ledger approvals; do
  mkdir -p "$app/locale"
  (cd "$app" && "$py" ../manage.py makemessages -l zh_Hans -v0)
done
mkdir -p locale
"$py" manage.py makemessages -l zh_Hans -v0 --ignore=.venv --ignore=tests \
  --ignore='core/*' --ignore='access/*' --ignore='audit/*' --ignore='federations/*' --ignore='funds/*' \
  --ignore='projects/*' --ignore='escrow/*' --ignore='ledger/*' --ignore='approvals/*'
