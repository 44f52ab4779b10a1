#!/usr/bin/env bash
# Install Token Monitor from this checkout into ./.venv (with the Linux tray menu and
# notifications where the system allows) and put `token-monitor` on the venv's PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
if [[ "$(uname)" == "Linux" ]]; then
  scripts/system-deps.sh ${SYSTEM_DEPS_ARGS:-} || echo "install: system packages skipped" >&2
fi
[[ -x .venv/bin/python ]] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
extras="${EXTRAS:-}"
if [[ "$(uname)" == "Linux" ]]; then
  if ! .venv/bin/python -m pip install -q -e ".[linux${extras:+,$extras}]"; then
    echo "install: PyGObject/dbus-python did not build; installing without the tray menu" >&2
    .venv/bin/python -m pip install -q -e ".${extras:+[$extras]}"
  fi
else
  .venv/bin/python -m pip install -q -e ".${extras:+[$extras]}"
fi
echo "install: done — run .venv/bin/token-monitor (tray) or .venv/bin/token-monitor status" >&2
