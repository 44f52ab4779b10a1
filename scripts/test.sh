#!/usr/bin/env bash
# Install the dev tools into ./.venv and run every check CI runs: lint, types, layers, tests
# (the real-display tests start their own Xvfb, tray host and D-Bus; they skip cleanly
# where those are not installed — `scripts/system-deps.sh --test` installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
# The install is editable, so code changes need none: reinstall only when what it is made
# from (pyproject.toml, the install scripts) changed since the last successful install.
stamp=.venv/.test-install-stamp
want=$(cat pyproject.toml scripts/install.sh scripts/system-deps.sh | sha256sum | cut -d' ' -f1)
if [[ -x .venv/bin/python && -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
  echo "test: .venv is up to date with pyproject.toml; not reinstalling" >&2
else
  EXTRAS=dev scripts/install.sh
  echo "$want" > "$stamp"
fi
bin=.venv/bin
$bin/ruff check tray_app tests scripts
$bin/ruff format --check tray_app tests scripts
$bin/mypy
$bin/lint-imports
$bin/pytest "$@"
