"""The entry point on a terminal (or pipe) that is not UTF-8."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

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


def test_the_program_writes_everything_and_its_ledger_reads_back(tmp_path: Path) -> None:
    data = tmp_path / "claude"
    write_jsonl(data / "projects" / "p" / "s.jsonl", [assistant("m1", 7), assistant("m2", 5)])
    env = {**os.environ, "TOKEN_MONITOR_DB": str(tmp_path / "l" / "ledger.db"),
           "TOKEN_MONITOR_CONFIG": str(tmp_path / "none.yaml")}  # fmt: skip
    cmd = [sys.executable, "-m", "tray_app", "export", "--json", "--data-dir", str(data)]
    for _ in range(2):  # the first run counts and writes, the second reads what it wrote
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
        got = json.loads(done.stdout)
        assert [r["output_tokens"] for r in got["responses"]] == [7, 5]


def _program(args: list[str], tmp_path: Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TOKEN_MONITOR_DB": str(tmp_path / "l" / "ledger.db"),
           "TOKEN_MONITOR_CONFIG": str(tmp_path / "none.yaml")}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "tray_app", *args], env=env, text=True, timeout=60, **kwargs
    )


def test_the_ledger_is_closed_so_a_deleted_one_starts_clean(tmp_path: Path) -> None:
    data = tmp_path / "claude"
    write_jsonl(data / "projects" / "p" / "s.jsonl", [assistant("m1", 7)])
    args = ["status", "--json", "--data-dir", str(data)]
    assert _program(args, tmp_path, capture_output=True).returncode == 0
    # No -wal or -shm left (SQLite's close at exit removes them): replayed into a new
    # ledger where the user deleted this one, a leftover log would corrupt it.
    assert sorted(p.name for p in (tmp_path / "l").iterdir()) == ["ledger.db"]
    (tmp_path / "l" / "ledger.db").unlink()
    again = _program(args, tmp_path, capture_output=True)
    assert again.returncode == 0 and json.loads(again.stdout)["totals"]["responses"] == 1


def test_no_stderr_at_all_is_no_failure(tmp_path: Path) -> None:
    # pythonw, or the windowed Windows build: sys.stderr is None.
    data = tmp_path / "claude"
    write_jsonl(data / "projects" / "p" / "s.jsonl", [assistant("m1", 7)])
    done = _program(
        ["status", "--data-dir", str(data)], tmp_path, stdout=subprocess.DEVNULL,
        preexec_fn=lambda: os.close(2),
    )  # fmt: skip
    assert done.returncode == 0
