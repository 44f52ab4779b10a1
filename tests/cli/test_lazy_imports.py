"""`--version` and `status` stay light: no rich, no YAML without a config file, no web server,
no other command's module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.builders import assistant, write_jsonl

CHECK = """
import sys
from tray_app.launcher import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
# zoneinfo: only for a named --timezone / config zone; secrets, tempfile (ours), shutil
# (ours): only when a file is written. Each was 1-4 ms of every start.
heavy = sorted(m for m in sys.modules if m in ("rich", "yaml", "zoneinfo", "secrets") or m.startswith(
    ("rich.", "starlette", "uvicorn", "tray_app.web", "tray_app.cli.model_cmd",
     "tray_app.cli.dashboard_cmd", "tray_app.cli.periods_cmd")))
print("heavy:" + ",".join(heavy))
"""


def _imported(args: list[str], tmp_path: Path) -> str:
    env = {
        "PATH": "/usr/bin:/bin",
        "TOKEN_MONITOR_DB": str(tmp_path / "l.db"),
        "TOKEN_MONITOR_CONFIG": str(tmp_path / "none.yaml"),
        "HOME": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-c", CHECK, *args], capture_output=True, text=True, env=env, check=True
    )
    return done.stdout.strip().splitlines()[-1].removeprefix("heavy:")


def test_version_and_status_import_no_table_library_or_web(tmp_path: Path) -> None:
    data = tmp_path / "claude"
    write_jsonl(data / "projects" / "p" / "s.jsonl", [assistant("m1", 5)])
    assert _imported(["--version"], tmp_path) == ""
    # The first run makes the ledger (a temp name: secrets); a restart imports none of them.
    first = _imported(["status", "--data-dir", str(data)], tmp_path)
    assert first in ("", "secrets")
    assert _imported(["status", "--data-dir", str(data)], tmp_path) == ""
    # A table command does load rich (and only then).
    assert "rich" in _imported(["daily", "--data-dir", str(data)], tmp_path).split(",")
