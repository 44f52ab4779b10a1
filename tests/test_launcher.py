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


def test_a_closed_stdout_is_like_dev_null_for_every_command(tmp_path: Path) -> None:
    # `export >&-` failed with "'NoneType' object has no attribute 'write'" (exit 1);
    # print() to a closed stdout was already silent for the other commands.
    root = tmp_path / "claude" / "projects" / "p"
    write_jsonl(root / "s.jsonl", [assistant("msg_1", 10)])
    env = {**os.environ, "TOKEN_MONITOR_DB": str(tmp_path / "l.db"),
           "TOKEN_MONITOR_CONFIG": str(tmp_path / "none.yaml")}  # fmt: skip
    for command in ("export", "export --format json", "status"):
        done = subprocess.run(
            ["sh", "-c", f'"{sys.executable}" -m tray_app {command} --data-dir "$1" >&-', "-",
             str(tmp_path / "claude")],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0 and done.stderr == "", (command, done.stderr)
