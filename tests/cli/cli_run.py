"""Run the CLI in-process on real temp files: a two-project history shared by the CLI tests."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from tests.builders import assistant, write_jsonl
from tray_app.cli.environment import Environment
from tray_app.cli.main import main

OPUS = "claude-opus-4-5-20251101"
SONNET = "claude-sonnet-4-5-20250929"
HAIKU = "claude-haiku-4-5-20251001"
DAY = 24 * 60


def two_projects(tmp_path: Path) -> Path:
    """alpha: opus + sonnet on 2026-02-10 (UTC); beta: opus on the 12th, haiku in March."""
    root = tmp_path / "claude" / "projects"
    alpha, beta = "/home/u/alpha", "/home/u/beta"
    write_jsonl(
        root / "-home-u-alpha" / "a1.jsonl",
        [
            assistant("m1", 1000, session="a1", model=OPUS, cache_read=20000, cwd=alpha),
            assistant("m2", 500, session="a1", model=SONNET, minutes=60, cwd=alpha),
        ],
    )
    write_jsonl(
        root / "-home-u-beta" / "b1.jsonl",
        [
            assistant("m3", 2000, session="b1", model=OPUS, minutes=2 * DAY, cwd=beta),
            assistant("m4", 300, session="b1", model=HAIKU, minutes=30 * DAY, cwd=beta),
        ],
    )
    return tmp_path / "claude"


def run(
    args: list[str], tmp_path: Path, data: Path | None = None, **env: str
) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of one command (UTC, no colour unless asked, 80 columns)."""
    out, err = io.StringIO(), io.StringIO()
    environ = {
        "TOKEN_MONITOR_DB": str(tmp_path / "db" / "l.db"),
        "TOKEN_MONITOR_CONFIG": str(tmp_path / "none.yaml"),
        "COLUMNS": "80",
        **env,
    }
    extra = ["--data-dir", str(data), "-z", "UTC"] if data else []
    code = main([*args, *extra], Environment(out, err, environ))
    return code, out.getvalue(), err.getvalue()


def run_json(args: list[str], tmp_path: Path, data: Path) -> Any:
    """The parsed JSON of a command that must succeed."""
    code, out, err = run([*args, "--json"], tmp_path, data)
    assert code == 0, err
    return json.loads(out)
