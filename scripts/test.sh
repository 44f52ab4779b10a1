#!/usr/bin/env bash
# Install the dev tools into ./.venv and run every check CI runs: lint, types, layers, tests
# (the real-display tests start their own Xvfb, tray host and D-Bus; they skip cleanly
# where those are not installed — `scripts/system-deps.sh --test` installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS=dev scripts/install.sh
bin=.venv/bin
$bin/ruff check tray_app tests scripts
$bin/ruff format --check tray_app tests scripts
$bin/mypy
$bin/lint-imports
$bin/pytest "$@"
