"""The entry point on a terminal (or pipe) that is not UTF-8."""

from __future__ import annotations

import json
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


class _Exited(Exception):
    """What the patched os._exit raises instead of ending the test run."""


def test_a_command_exits_at_once_after_flushing(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import logging

    from tray_app import launcher

    out = io.StringIO()
    flushed: list[str] = []
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(out, "flush", lambda: flushed.append("stdout"))
    monkeypatch.setattr(logging, "shutdown", lambda: flushed.append("log"))

    def exit_now(code: int) -> None:
        raise _Exited(code)

    monkeypatch.setattr(os, "_exit", exit_now)
    monkeypatch.delitem(sys.modules, "tray_app.app", raising=False)
    with pytest.raises(_Exited) as done:
        launcher.finish(3)
    assert done.value.args == (3,) and flushed == ["stdout", "log"]


def test_with_other_threads_alive_the_exit_is_the_normal_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading

    from tray_app import launcher

    stop = threading.Event()
    helper = threading.Thread(target=stop.wait, name="tm-test-helper")
    helper.start()
    try:
        with pytest.raises(SystemExit) as done:
            launcher.finish(4)
        assert done.value.code == 4
    finally:
        stop.set()
        helper.join()


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


class _Full:
    """A stream whose flush fails as a full disk (or a closed pipe) does."""

    def __init__(self, error: OSError) -> None:
        self.error = error

    def flush(self) -> None:
        raise self.error


@pytest.mark.parametrize(
    ("error", "code", "said"),
    [
        (OSError(28, "No space left on device"), 1, "output not written: No space left on device"),
        (BrokenPipeError(32, "Broken pipe"), 0, ""),  # `| head`: what it wanted was read
    ],
)
def test_output_that_cannot_be_written_is_an_error_not_a_silent_success(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    error: OSError,
    code: int,
    said: str,
) -> None:
    from tray_app import launcher

    def exit_now(status: int) -> None:
        raise _Exited(status)

    monkeypatch.setattr(sys, "stdout", _Full(error))
    monkeypatch.setattr(os, "_exit", exit_now)
    monkeypatch.delitem(sys.modules, "tray_app.app", raising=False)
    with pytest.raises(_Exited) as done:
        launcher.finish(0)
    assert done.value.args == (code,)
    assert said in capsys.readouterr().err
