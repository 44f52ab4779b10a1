"""The live engine with a real watchdog observer on real temp dirs."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.builders import assistant, user, write_jsonl
from tray_app.adapters import transcript as transcript_mod
from tray_app.adapters.config import Settings
from tray_app.adapters.transcript import read_from
from tray_app.service.aggregator import ServiceOptions
from tray_app.service.runtime import LiveRuntime
from tray_app.service.snapshot import Snapshot

Starter = Callable[..., "Live"]
FAST = ServiceOptions(tick_seconds=0.5, coalesce_seconds=0.005, flush_seconds=0.2)


class Live:
    """A started runtime plus what it published."""

    def __init__(self, root: Path, db: Path, **kw: object) -> None:
        settings = Settings(data_dirs=(str(root),))
        env = {"TOKEN_MONITOR_DB": str(db)}
        self.runtime = LiveRuntime(settings, env, options=FAST, **kw)  # type: ignore[arg-type]
        self.snapshots: list[Snapshot] = []
        self.runtime.service.subscribe(self.snapshots.append)

    def outputs(self) -> dict[str, int]:
        snap = self.runtime.service.latest
        return {} if snap is None else {"output": snap.totals.output_tokens,
                                        "responses": snap.totals.responses}  # fmt: skip

    def wait(self, pred: Callable[[Snapshot], bool], timeout: float = 5.0) -> Snapshot:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            snap = self.runtime.service.latest
            if snap is not None and pred(snap):
                return snap
            time.sleep(0.01)
        raise AssertionError(f"timed out; latest: {self.runtime.service.latest}")


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Starter]:
    started: list[Live] = []
    before = set(threading.enumerate())

    def start(root: Path | None = None, **kw: object) -> Live:
        lv = Live(root or tmp_path / "claude" / "projects", tmp_path / "l.db", **kw)
        lv.runtime.start()
        assert lv.runtime.service.ready.wait(5)
        started.append(lv)
        return lv

    yield start
    for lv in started:
        lv.runtime.stop()
    time.sleep(0.05)
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not leaked, f"threads left running: {leaked}"


def out_is(n: int) -> Callable[[Snapshot], bool]:
    return lambda s: s.totals.output_tokens == n


def test_first_snapshot_then_new_files_and_appends(tmp_path: Path, live: Starter) -> None:
    root = tmp_path / "claude" / "projects"
    f = write_jsonl(root / "p1" / "s1.jsonl", [assistant("msg_1", 5)])
    lv = live()
    lv.wait(out_is(5))
    write_jsonl(f, [assistant("msg_2", 7)], mode="a")
    lv.wait(out_is(12))
    # A new project dir and session file, created after start.
    write_jsonl(root / "p2" / "s2.jsonl", [assistant("msg_3", 100)])
    lv.wait(out_is(112))
    # A subagent folder created later.
    write_jsonl(root / "p2" / "s2" / "subagents" / "agent-a1.jsonl", [assistant("msg_4", 1000)])
    lv.wait(out_is(1112))


def test_larger_copy_replaces_the_smaller(tmp_path: Path, live: Starter) -> None:
    f = write_jsonl(tmp_path / "claude" / "projects" / "p" / "s.jsonl", [assistant("msg_1", 3)])
    lv = live()
    lv.wait(out_is(3))
    write_jsonl(f, [assistant("msg_1", 300)], mode="a")
    snap = lv.wait(out_is(300))
    assert snap.totals.responses == 1


def test_line_written_in_two_pieces_is_parsed_once(tmp_path: Path, live: Starter) -> None:
    import json

    f = write_jsonl(tmp_path / "claude" / "projects" / "p" / "s.jsonl", [user()])
    lv = live()
    raw = json.dumps(assistant("msg_1", 42), separators=(",", ":")).encode()
    with open(f, "ab") as h:
        h.write(raw[:50])
        h.flush()
        time.sleep(0.3)
        h.write(raw[50:] + b"\n")
    snap = lv.wait(out_is(42))
    assert snap.totals.responses == 1
    time.sleep(0.3)
    assert lv.runtime.service.latest is not None
    assert lv.runtime.service.latest.totals.responses == 1


def test_truncation_replacement_deletion_and_recreation(tmp_path: Path, live: Starter) -> None:
    root = tmp_path / "claude" / "projects"
    f = write_jsonl(root / "p" / "s.jsonl", [assistant("msg_1", 5), assistant("msg_2", 6)])
    lv = live()
    lv.wait(out_is(11))
    write_jsonl(f, [assistant("msg_3", 1)])  # truncated below the stored offset
    lv.wait(out_is(12))
    tmp = root / "p" / "x.tmp"
    write_jsonl(tmp, [assistant("msg_3", 1), assistant("msg_4", 10), user(), user()])
    os.replace(tmp, f)  # replaced (new inode)
    lv.wait(out_is(22))
    f.unlink()
    time.sleep(0.2)
    write_jsonl(f, [assistant("msg_5", 100)])  # re-created
    snap = lv.wait(out_is(122))
    assert snap.totals.responses == 5  # history kept, nothing doubled


def test_root_created_after_start_is_picked_up(tmp_path: Path, live: Starter) -> None:
    home = tmp_path / "home"
    home.mkdir()
    lv = live(home / ".claude" / "projects")
    assert "waiting" in next(iter(lv.runtime.watcher.modes.values()))
    write_jsonl(home / ".claude" / "projects" / "p" / "s.jsonl", [assistant("msg_1", 9)])
    lv.wait(out_is(9))


def test_unreadable_then_readable_file(tmp_path: Path, live: Starter) -> None:
    f = write_jsonl(tmp_path / "claude" / "projects" / "p" / "s.jsonl", [assistant("msg_1", 5)])
    blocked = {"on": True}

    def guarded(path: Path, *a: object, **k: object) -> object:
        if blocked["on"] and path == f:
            raise PermissionError(13, "Permission denied")
        return read_from(path, *a, **k)  # type: ignore[arg-type]

    mp = pytest.MonkeyPatch()
    mp.setattr(transcript_mod, "read_from", guarded)  # the scanner imports it when reading
    try:
        lv = live()
        time.sleep(0.3)
        assert lv.runtime.service.latest is not None
        assert lv.runtime.service.latest.totals.responses == 0
        blocked["on"] = False
        write_jsonl(f, [assistant("msg_2", 6)], mode="a")
        lv.wait(out_is(11))
    finally:
        mp.undo()


def test_line_of_many_megabytes(tmp_path: Path, live: Starter) -> None:
    f = write_jsonl(tmp_path / "claude" / "projects" / "p" / "s.jsonl", [user()])
    lv = live()
    big = assistant("msg_big", 77)
    big["message"]["content"] = [{"type": "text", "text": "x" * (12 << 20)}]
    write_jsonl(f, [big], mode="a")
    lv.wait(out_is(77), timeout=10)


def test_polling_fallback_keeps_working(tmp_path: Path, live: Starter) -> None:
    root = tmp_path / "claude" / "projects"
    f = write_jsonl(root / "p" / "s.jsonl", [assistant("msg_1", 5)])
    lv = live(force_polling=True)
    lv.runtime.watcher.poll_seconds = 0.2
    assert "polling" in lv.runtime.watcher.modes[str(root)]
    write_jsonl(f, [assistant("msg_2", 6)], mode="a")
    lv.wait(out_is(11), timeout=8)


def test_inotify_failure_falls_back_to_polling(tmp_path: Path, live: Starter) -> None:
    from watchdog.observers.inotify import InotifyObserver

    root = tmp_path / "claude" / "projects"
    write_jsonl(root / "p" / "s.jsonl", [assistant("msg_1", 5)])

    def full(*_a: object, **_k: object) -> None:
        raise OSError(28, "inotify watch limit reached")

    mp = pytest.MonkeyPatch()
    mp.setattr(InotifyObserver, "schedule", full)
    try:
        lv = live()
        assert "inotify unavailable" in lv.runtime.watcher.modes[str(root)]
    finally:
        mp.undo()


def test_burst_is_coalesced_and_a_failing_subscriber_is_survived(
    tmp_path: Path, live: Starter
) -> None:
    f = write_jsonl(tmp_path / "claude" / "projects" / "p" / "s.jsonl", [user()])
    lv = live()
    lv.runtime.service.subscribe(lambda s: 1 / 0)  # a broken subscriber
    count = len(lv.snapshots)
    write_jsonl(f, [assistant("msg_1", o) for o in (1, 5, 20, 80)] + [assistant("msg_2", 3)],
                mode="a")  # fmt: skip
    lv.wait(out_is(83))
    assert lv.runtime.service.alive
    assert len(lv.snapshots) - count <= 2  # one burst → one update (maybe one tick)


def test_restart_neither_loses_nor_doubles(tmp_path: Path, live: Starter) -> None:
    root = tmp_path / "claude" / "projects"
    f = write_jsonl(root / "p" / "s.jsonl", [assistant("msg_1", 5)])
    lv = live()
    write_jsonl(f, [assistant("msg_2", 6)], mode="a")
    lv.wait(out_is(11))
    lv.runtime.stop()
    write_jsonl(f, [assistant("msg_3", 7)], mode="a")  # while the app is not running
    lv2 = live()
    first = lv2.snapshots[0]
    assert first.totals.output_tokens == 11  # straight from the ledger
    lv2.wait(out_is(18))


def test_a_failing_ledger_write_is_survived_and_retried(tmp_path: Path, live: Starter) -> None:
    import sqlite3

    from tray_app.adapters.ledger import Ledger

    f = write_jsonl(tmp_path / "claude" / "projects" / "p" / "s.jsonl", [assistant("msg_1", 5)])
    lv = live()
    lv.wait(out_is(5))
    real_write = Ledger.write
    failing = {"on": True}

    def write(self: Ledger, *a: object, **k: object) -> None:
        if failing["on"]:
            raise sqlite3.OperationalError("database or disk is full")
        real_write(self, *a, **k)  # type: ignore[arg-type]

    mp = pytest.MonkeyPatch()
    mp.setattr(Ledger, "write", write)
    try:
        write_jsonl(f, [assistant("msg_2", 6)], mode="a")
        snap = lv.wait(lambda s: s.totals.output_tokens == 11 and s.status == "error")
        assert snap.error is not None and "disk is full" in snap.error
        assert lv.runtime.service.alive
        failing["on"] = False
        write_jsonl(f, [assistant("msg_3", 7)], mode="a")
        lv.wait(lambda s: s.totals.output_tokens == 18 and s.status != "error", timeout=10)
    finally:
        mp.undo()
    lv.runtime.stop()
    count = sqlite3.connect(tmp_path / "l.db").execute("SELECT COUNT(*) FROM responses")
    assert count.fetchone()[0] == 3  # the failed batch was written on the retry


def test_a_name_given_from_the_cli_shows_up_on_the_next_tick(tmp_path: Path, live: Starter) -> None:
    from tray_app.adapters.ledger import Ledger

    write_jsonl(tmp_path / "claude" / "projects" / "p" / "s.jsonl", [assistant("msg_1", 5)])
    lv = live()
    lv.wait(out_is(5))
    other = Ledger.open(tmp_path / "l.db")  # as `token-monitor name` would
    other.name_session("sess-1", "from the CLI")
    other.close()
    snap = lv.wait(lambda s: s.tracked_session is not None and s.tracked_session.name != "")
    assert snap.tracked_session is not None and snap.tracked_session.name == "from the CLI"
