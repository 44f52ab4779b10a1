"""The entry point on a terminal (or pipe) that is not UTF-8."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.builders import assistant, write_jsonl


@pytest.mark.parametrize("encoding", ["ascii", "cp437", "latin-1"])
def test_a_non_utf8_output_gets_replacement_marks_not_exit_1(tmp_path: Path, encoding: str) -> None:
    # "—", "·" and "“" made every report exit 1 ("'ascii' codec can't encode character"),
    # e.g. Windows piping to a file in cp1252, or PYTHONIOENCODING=ascii.
    root = tmp_path / "claude" / "projects" / "p"
    write_jsonl(root / "s.jsonl", [assistant("msg_1", 10)])
    env = {**os.environ, "PYTHONIOENCODING": encoding,
           "TOKEN_MONITOR_DB": str(tmp_path / "l.db"),
           "TOKEN_MONITOR_CONFIG": str(tmp_path / "none.yaml")}  # fmt: skip
    for command in (["status"], ["daily"], ["limits"]):
        done = subprocess.run(
            [sys.executable, "-m", "tray_app", *command, "--data-dir", str(tmp_path / "claude")],
            env=env, capture_output=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr.decode(errors="replace")
        assert done.stdout.decode(encoding).strip() != ""
