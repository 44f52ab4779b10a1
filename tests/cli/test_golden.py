"""Golden output of every report command at 80 and 120 columns: table, --compact and JSON.

The files in tests/cli/golden/ are the reviewed outputs; `UPDATE_GOLDEN=1 pytest
tests/cli/test_golden.py` rewrites them after an intended change (then review the diff).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.cli.cli_run import run, two_projects

GOLDEN = Path(__file__).parent / "golden" / "all"
NOW = ["--now", "2026-03-12T22:30:00+00:00"]  # inside the haiku block: one active block
COMMANDS = {
    "status": ["status"],
    "blocks": ["blocks"],
    "sessions": ["sessions"],
    "session": ["session", "a1"],
    "daily": ["daily"],
    "weekly": ["weekly"],
    "monthly": ["monthly"],
    "models": ["models"],
}
CASES = [
    (name, mode, width)
    for name in COMMANDS
    for mode, width in (("table", 80), ("table", 120), ("compact", 80), ("json", 80))
]


@pytest.mark.parametrize(("name", "mode", "width"), CASES)
def test_golden(tmp_path: Path, name: str, mode: str, width: int) -> None:
    data = two_projects(tmp_path)
    flags = {"table": [], "compact": ["--compact"], "json": ["--json"]}[mode]
    code, out, err = run([*COMMANDS[name], *NOW, *flags], tmp_path, data, COLUMNS=str(width))
    assert code == 0, err
    if mode == "table" or (mode == "compact" and name not in ("status", "session")):
        assert max(len(line) for line in out.splitlines()) <= width  # one-liners may wrap
    golden = GOLDEN / f"{name}-{mode}-{width}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(out)
    assert out == golden.read_text()
