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
# zoneinfo: only for a named --timezone / config zone; secrets: only when a file is made;
# the reading modules (transcript, bulk_read, limit_messages): only when a file has new
# bytes; importlib.resources (+ zipfile): the bundled prices come through pkgutil; the live
# snapshot's classes: the CLI never builds one; peewee (25-35 ms with what it imports): only
# to create the ledger's tables. Each was 1-7 ms of every start.
LIGHT = ("rich", "yaml", "zoneinfo", "secrets", "peewee", "tray_app.adapters.transcript",
         "tray_app.adapters.bulk_read", "tray_app.usage.limit_messages", "importlib.resources",
         "zipfile", "tray_app.service.snapshot")
heavy = sorted(m for m in sys.modules if m in LIGHT or m.startswith(
    ("rich.", "starlette", "uvicorn", "tray_app.web", "tray_app.cli.model_cmd",
     "tray_app.cli.dashboard_cmd", "tray_app.cli.periods_cmd", "tray_app.cli.limits_cmd")))
print("heavy:" + ",".join(heavy))
"""


def _imported(args: list[str], tmp_path: Path, **more: str) -> str:
    env = {
        **more,
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
    # The first run makes the ledger (a temp name: secrets; its tables: peewee's models)
    # and reads the file; a restart with nothing new imports none of them.
    first = set(_imported(["status", "--data-dir", str(data)], tmp_path).split(","))
    reading = {"tray_app.adapters.transcript", "tray_app.adapters.bulk_read"}
    status = "tray_app.cli.limits_cmd"  # status's own (the limit sources)
    assert first - {""} <= {"secrets", "peewee", status, *reading}
    assert "tray_app.adapters.transcript" in first  # (the check sees a read when one happens)
    assert _imported(["status", "--data-dir", str(data)], tmp_path) == status
    # A table of narrow characters is laid out without rich (cli/table.py), even one too
    # wide for the terminal; only wide characters need rich's width tables.
    daily = _imported(["daily", "--data-dir", str(data)], tmp_path).split(",")
    assert "rich" not in daily
    assert "rich" not in _imported(["daily", "--data-dir", str(data)], tmp_path, COLUMNS="20")
    # ... but not the limit sources only status/limits need (reports_cmd's helpers do not).
    assert status not in daily
