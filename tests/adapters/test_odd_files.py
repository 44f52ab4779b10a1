"""FIFOs, devices, sockets and odd names called *.jsonl never hang or crash a command."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.builders import assistant, write_jsonl
from tray_app.adapters.discovery import Roots, scan_transcripts
from tray_app.adapters.scanner import Engine
from tray_app.adapters.transcript import read_from

pytestmark = pytest.mark.skipif(os.name != "posix", reason="FIFOs and /dev/zero are POSIX")


@pytest.fixture
def odd_root(tmp_path: Path) -> Iterator[Path]:
    """A projects dir with one real transcript next to a FIFO, a /dev/zero link and a socket."""
    projects = tmp_path / "claude" / "projects"
    write_jsonl(projects / "p" / "real.jsonl", [assistant("msg_1", 5)])
    os.mkfifo(projects / "p" / "fifo.jsonl")
    (projects / "p" / "zero.jsonl").symlink_to("/dev/zero")
    (projects / "p" / "null.jsonl").symlink_to("/dev/null")
    (projects / "p" / "dangling.jsonl").symlink_to(tmp_path / "nowhere")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(projects / "p" / "sock.jsonl"))
    yield projects
    sock.close()


def test_discovery_lists_regular_files_only(odd_root: Path) -> None:
    warnings: list[str] = []
    found = scan_transcripts(Roots((odd_root,)), warnings)
    assert [Path(p).name for p in found] == ["real.jsonl"]
    skipped = sorted(w.split("/")[-1] for w in warnings)
    assert skipped == [
        "fifo.jsonl: not a regular file",
        "null.jsonl: not a regular file",
        "sock.jsonl: not a regular file",
        "zero.jsonl: not a regular file",
    ]


def test_reading_refuses_what_is_not_a_regular_file(odd_root: Path) -> None:
    for name in ("fifo.jsonl", "zero.jsonl", "null.jsonl"):
        with pytest.raises(OSError, match="not a regular file"):
            read_from(odd_root / "p" / name)


def test_engine_given_odd_paths_skips_them(odd_root: Path) -> None:
    engine = Engine(Roots((odd_root,)))
    paths = [odd_root / "p" / n for n in ("fifo.jsonl", "zero.jsonl", "sock.jsonl", "real.jsonl")]
    result = engine.refresh(paths)  # what the watcher hands over
    assert [e.key for e in engine.entries] == ["msg_1"]
    assert result.stats.files_read == 1 and len(result.stats.warnings) == 3


def _run(args: list[str], tmp_path: Path, root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TOKEN_MONITOR_DB": str(tmp_path / "db" / "l.db"),
           "TOKEN_MONITOR_CONFIG": str(tmp_path / "none.yaml")}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "tray_app", *args, "--data-dir", str(root)],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize("ledger", [True, False])
def test_status_and_doctor_finish(tmp_path: Path, odd_root: Path, ledger: bool) -> None:
    extra = [] if ledger else ["--no-ledger"]
    status = _run(["status", "--json", *extra], tmp_path, odd_root)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["totals"]["output_tokens"] == 5
    assert "fifo.jsonl: not a regular file" in status.stderr
    doctor = _run(["doctor", "--json", *extra], tmp_path, odd_root)
    assert doctor.returncode == 0, doctor.stderr
    report = json.loads(doctor.stdout)
    assert report["responses"] == 1 and report["files"] == 1
    assert sum("not a regular file" in w for w in report["warnings"]) == 4


def test_non_utf8_names_are_read_and_passed_through(tmp_path: Path) -> None:
    projects = tmp_path / "claude" / "projects"
    odd_dir = Path(os.fsdecode(bytes(projects) + b"/caf\xe9"))
    path = Path(os.fsdecode(bytes(odd_dir) + b"/s\xff.jsonl"))
    write_jsonl(path, [assistant("msg_1", 5), b"{broken"])
    found = scan_transcripts(Roots((projects,)))
    assert [Path(p) for p in found] == [path]
    assert os.fsencode(next(iter(found))).endswith(b"/caf\xe9/s\xff.jsonl")
    engine = Engine(Roots((projects,)))
    result = engine.refresh(validate=True)
    assert [e.key for e in engine.entries] == ["msg_1"]
    assert result.stats.bad_places[0].path == str(path)
