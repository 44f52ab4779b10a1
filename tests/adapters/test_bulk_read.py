"""Reading on several processes gives exactly the sequential result, forked or spawned."""

from __future__ import annotations

import os
import runpy
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.builders import assistant, write_jsonl
from tray_app.adapters import bulk_read
from tray_app.adapters.discovery import Roots
from tray_app.adapters.scanner import Engine


def _data(root: Path) -> None:
    for i in range(6):
        lines = [assistant(f"msg_{j}", 5 + i, session=f"s{i}", minutes=j) for j in range(i, i + 4)]
        f = write_jsonl(root / "p" / f"s{i}.jsonl", lines)  # type: ignore[arg-type]
        os.utime(f, (1000 + i, 1000 + i))


def _result(root: Path) -> list[tuple[str, int, str]]:
    engine = Engine(Roots((root,)))
    engine.refresh()
    return sorted((e.key, e.output_tokens, e.session_id) for e in engine.entries)


@pytest.mark.parametrize("with_gui_thread", [False, True])
def test_parallel_equals_sequential(tmp_path: Path, with_gui_thread: bool) -> None:
    root = tmp_path / "projects"
    _data(root)
    sequential = _result(root)
    mp = pytest.MonkeyPatch()
    mp.setattr(bulk_read, "PARALLEL_MIN_BYTES", 0)
    mp.setattr(bulk_read, "workers", lambda: 2)
    stop = threading.Event()
    gui = threading.Thread(target=stop.wait, name="gui")  # forces the spawn start method
    if with_gui_thread:
        gui.start()
    try:
        assert _result(root) == sequential
    finally:
        stop.set()
        mp.undo()
    # First seen wins attribution across ranges: msg_3 is in s0..s3, s0 is oldest.
    assert ("msg_3", 8, "s0") in sequential


def test_spawned_children_do_not_start_the_app() -> None:
    # A spawned reader imports the main module as __mp_main__: it must not run main().
    namespace = runpy.run_module("tray_app", run_name="__mp_main__")
    assert "main" in namespace


def _children(pid: int) -> dict[int, str]:
    """Live (non-zombie) processes whose parent is `pid`, with their state."""
    found: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != b"Z":
            found[int(entry)] = fields[0].decode()
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_9_of_a_first_scan_takes_its_readers_with_it(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    data = tmp_path / "data"
    subprocess.run(
        [sys.executable, str(repo / "scripts" / "gen_data.py"), str(data), "--size-mb", "150"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    # Two readers even on one core: the point is that they die, not how fast they read.
    code = (
        "import sys; from tray_app.adapters import bulk_read; "
        "bulk_read.workers = lambda: 2; from tray_app.cli.main import main; "
        "sys.exit(main(sys.argv[1:]))"
    )
    env = {**os.environ, "TOKEN_MONITOR_DB": str(tmp_path / "l.db"),
           "TOKEN_MONITOR_CONFIG": str(tmp_path / "none.yaml")}  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "status", "--data-dir", str(data)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        workers: dict[int, str] = {}
        while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
            workers.update(_children(proc.pid))
        assert len(workers) >= 2, "the scan finished before its readers were seen"
        proc.kill()  # kill -9 in the middle of the first scan
        proc.wait(10)
        end = time.monotonic() + 5
        while any(_alive(w) for w in workers) and time.monotonic() < end:
            time.sleep(0.05)
        left = [w for w in workers if _alive(w)]
    finally:
        if proc.poll() is None:
            proc.kill()
    for pid in left:
        os.kill(pid, signal.SIGKILL)  # never leave them behind, even when the test fails
    assert left == []


def test_a_reader_whose_parent_is_already_gone_exits() -> None:
    code = "from tray_app.adapters.bulk_read import die_with_parent as d; d(1); print('alive')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert (done.returncode, done.stdout, done.stderr) == (1, "", "")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_without_prctl_the_watchdog_ends_an_orphaned_reader() -> None:
    # The reader pretends not to be on Linux (as on macOS): only the getppid watchdog acts.
    reader = (
        "import os, sys, time; from tray_app.adapters import bulk_read as b; "
        "b.sys = type('S', (), {'platform': 'darwin'}); b.PARENT_CHECK_SECONDS = 0.05; "
        "b.die_with_parent(int(sys.argv[1])); time.sleep(60)"
    )
    parent = (
        "import subprocess, sys, time; "
        "import os; "
        f"p = subprocess.Popen([sys.executable, '-c', {reader!r}, str(os.getpid())]); "
        "print(p.pid, flush=True); "
        "time.sleep(60)"
    )
    outer = subprocess.Popen([sys.executable, "-c", parent], stdout=subprocess.PIPE, text=True)
    assert outer.stdout is not None
    child = int(outer.stdout.readline())
    time.sleep(1.0)  # the reader is up and its watchdog running
    assert _alive(child)
    outer.kill()
    outer.wait(10)
    end = time.monotonic() + 5
    while _alive(child) and time.monotonic() < end:
        time.sleep(0.05)
    alive = _alive(child)
    if alive:
        os.kill(child, signal.SIGKILL)
    assert not alive


def _started_marker(jobs: list[bulk_read.Job]) -> bulk_read.RangeResult:
    """read_range that first leaves a file named after its range (seen across processes)."""
    path = jobs[0][0]
    Path(os.environ["TM_TEST_STARTED"], Path(path).name).touch()
    return bulk_read.RangeResult([], [], [], {})


def test_readers_work_only_a_few_ranges_ahead_of_the_caller(tmp_path: Path) -> None:
    """Ranges finished while the caller writes do not pile up: memory stays one window."""
    started = tmp_path / "started"
    started.mkdir()
    jobs = [(str(tmp_path / f"r{i:02}"), 0, 0, 1, "") for i in range(20)]
    mp = pytest.MonkeyPatch()
    mp.setenv("TM_TEST_STARTED", str(started))
    mp.setattr(bulk_read, "read_range", _started_marker)  # forked readers inherit it
    mp.setattr(bulk_read, "workers", lambda: 2)
    mp.setattr(bulk_read, "RANGE_BYTES", 1)  # one file per range
    try:
        results = bulk_read.read_parallel(jobs, [1] * len(jobs))
        window = bulk_read.AHEAD_PER_READER * 2 + 1
        for done in range(1, len(jobs) + 1):
            next(results)
            time.sleep(0.05)  # a slow caller (a write): readers would run on
            assert len(list(started.iterdir())) <= min(done + window - 1, len(jobs))
        assert len(list(started.iterdir())) == len(jobs)
        results.close()
    finally:
        mp.undo()
