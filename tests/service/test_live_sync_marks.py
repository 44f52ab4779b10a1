"""The live view starts again from the ledger only when another process counted.

SQLite's data_version moves on every other connection's commit; the mark that each write
of responses leaves tells a CLI run's counting from the tray's own dashboard reader, alerts,
names or block cache rows, which must not throw the live state away.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.builders import T0, assistant, write_jsonl
from tray_app.adapters import model_history, roots_ledger, write_mark
from tray_app.adapters.block_cache import BlockCache
from tray_app.adapters.discovery import Roots
from tray_app.adapters.history_source import HistorySource
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.prices import load_price_table
from tray_app.adapters.scanner import Engine
from tray_app.service.aggregator import ServiceOptions, UsageService
from tray_app.service.live_state import LiveState
from tray_app.service.live_sync import LedgerSync

PRICES = load_price_table()
NOW = T0.timestamp() + 30 * 60


class Tray:
    """The tray's counting as UsageService runs it: changes kept in memory, flushed now
    and then, the live state kept in step with the ledger."""

    def __init__(self, root: Path, db: Path) -> None:
        self.root = root
        self.ledger = Ledger.open(db)
        self.engine = Engine(Roots((root,)), self.ledger)
        self.state = LiveState(PRICES.cost)
        self.sync = LedgerSync(self.state, self.engine, self.ledger, PRICES)
        self.sync.start(NOW)

    def scan(self, paths: list[Path] | None = None) -> None:
        """One scan applied to the live state (UsageService._scan)."""
        result = self.engine.refresh(paths, persist=False)
        if not self.sync.restart_if_others_wrote(NOW) and (result.changes or result.resets):
            self.state.apply(result.changes, result.resets, NOW, self.sync.history)

    @property
    def responses(self) -> int:
        """Responses in the live figures."""
        return self.state.total.build().responses

    def close(self) -> None:
        """Quit: the last flush, the ledger closed."""
        self.engine.flush()
        self.ledger.close()


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A root with one counted file, and the ledger's path."""
    root, db = tmp_path / "projects", tmp_path / "db" / "l.db"
    db.parent.mkdir()
    f = write_jsonl(root / "p" / "s.jsonl", [assistant("msg_1", 10, minutes=1)])
    return root, db, f


def _cli_counts(root: Path, db: Path) -> None:
    """A CLI run (its own connection) counts and writes whatever is new."""
    cli = Ledger.open(db)
    try:
        Engine(Roots((root,)), cli).refresh()
    finally:
        cli.close()


def _tray(root: Path, db: Path) -> Tray:
    """A tray that has counted and written the file's responses itself."""
    tray = Tray(root, db)
    tray.scan()
    tray.engine.flush()
    assert tray.sync.restart_if_others_wrote(NOW) is False  # its own write is no news
    assert tray.responses == 1 and write_mark.current(tray.ledger) is not None
    return tray


def test_the_dashboards_reads_and_others_writes_that_count_nothing_keep_the_live_state(
    setup: tuple[Path, Path, Path],
) -> None:
    root, db, f = setup
    tray = _tray(root, db)
    write_jsonl(f, [assistant("msg_2", 10, minutes=2)], mode="a")
    tray.scan()  # the tray counts a new line itself: the dashboard's rollup is behind
    tray.engine.flush()
    source = HistorySource(db, PRICES, [root])  # the tray's dashboard, its own connection
    other = Ledger.open(db)  # a CLI run or a second tray
    writes: dict[str, Callable[[], object]] = {
        "dashboard rollup": lambda: source.parts(0, 1e12),
        "dashboard activity": lambda: source.activity(0, 1e12),
        "dashboard blocks": lambda: source.blocks(NOW),
        "block cache rows": lambda: BlockCache(other, PRICES, PRICES.cost).blocks(NOW, []),
        "alert": lambda: other.record(T0.timestamp(), "cost", NOW),
        "session name": lambda: other.name_session("sess-1", "my work"),
        "model history": lambda: model_history.record(
            db, model_history.ModelChange(NOW, "manual", None, "claude-opus-4-6")
        ),
    }
    committed = set()
    try:
        for what, write in writes.items():
            before = tray.ledger.data_version()
            write()
            if tray.ledger.data_version() != before:
                committed.add(what)
            assert tray.sync.restart_if_others_wrote(NOW) is False, what
    finally:
        source.close()
        other.close()
    assert committed >= {
        "dashboard rollup", "dashboard activity", "block cache rows", "alert", "session name",
        "model history",
    }  # fmt: skip
    assert tray.sync.restarts == 0
    assert tray.responses == 2
    tray.close()


def test_a_response_a_cli_run_counted_first_restarts_the_live_state(
    setup: tuple[Path, Path, Path],
) -> None:
    root, db, f = setup
    tray = _tray(root, db)
    write_jsonl(f, [assistant("msg_2", 10, minutes=2)], mode="a")
    _cli_counts(root, db)
    tray.scan()  # for the tray's engine the line is no change: only a restart shows it
    assert (tray.sync.restarts, tray.responses) == (1, 2)
    tray.scan()
    assert tray.sync.restarts == 1  # once
    tray.close()


def test_a_count_by_another_process_under_our_own_later_write_still_restarts(
    setup: tuple[Path, Path, Path],
) -> None:
    root, db, f = setup
    tray = _tray(root, db)
    write_jsonl(f, [assistant("msg_2", 10, minutes=2)], mode="a")
    _cli_counts(root, db)  # counted elsewhere: the ledger's mark is the CLI's
    g = write_jsonl(root / "p" / "t.jsonl", [assistant("msg_3", 10, minutes=3, session="t")])
    changes = tray.engine.refresh([g], persist=False).changes
    tray.engine.flush()  # our mark replaces the CLI's before the tray looks
    assert len(changes) == 1
    assert tray.sync.restart_if_others_wrote(NOW) is True
    assert tray.responses == 3
    tray.close()


def test_a_write_that_rolled_back_never_hides_a_later_count(
    setup: tuple[Path, Path, Path],
) -> None:
    # A counter bumped in a transaction that rolls back would be bumped to the same value
    # by the next writer and taken for ours; a fresh token cannot be.
    root, db, f = setup
    tray = _tray(root, db)
    with pytest.raises(RuntimeError), tray.ledger.writing():
        write_mark.stamp(tray.ledger)
        raise RuntimeError("disk full")
    write_jsonl(f, [assistant("msg_2", 10, minutes=2)], mode="a")
    _cli_counts(root, db)
    assert tray.sync.restart_if_others_wrote(NOW) is True
    assert tray.responses == 2
    tray.close()


def test_a_ledger_without_a_mark_restarts_on_any_commit_as_before(
    setup: tuple[Path, Path, Path],
) -> None:
    root, db, _ = setup
    tray = _tray(root, db)
    with sqlite3.connect(db) as raw:  # a ledger written before marks
        raw.execute("DELETE FROM meta WHERE key = ?", (write_mark.KEY,))
    raw.close()
    assert tray.sync.restart_if_others_wrote(NOW) is True
    other = Ledger.open(db)
    other.record(T0.timestamp(), "cost", NOW)  # no mark: cannot tell what it wrote
    other.close()
    assert tray.sync.restart_if_others_wrote(NOW) is True
    assert tray.sync.restart_if_others_wrote(NOW) is False  # nothing committed since
    assert (tray.sync.restarts, tray.responses) == (2, 1)
    tray.close()


def test_forgetting_a_root_in_another_process_restarts_the_live_state(
    setup: tuple[Path, Path, Path],
) -> None:
    root, db, _ = setup
    tray = _tray(root, db)
    other = Ledger.open(db)
    roots_ledger.forget(other, roots_ledger.root_id(root))
    other.close()
    assert tray.sync.restart_if_others_wrote(NOW) is True
    assert tray.responses == 0
    tray.ledger.close()


def test_two_real_processes_a_report_keeps_the_live_state_a_count_restarts_it(
    setup: tuple[Path, Path, Path],
) -> None:
    root, db, f = setup
    tray = _tray(root, db)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(db.parent),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "TOKEN_MONITOR_DB": str(db),
        "TOKEN_MONITOR_CONFIG": str(db.parent / "none.yaml"),
    }

    def run(command: str) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "tray_app", command, "--json", "--data-dir", str(root)],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr

    before = tray.ledger.data_version()
    run("daily")  # nothing new: it only brings the rollup and block cache up to date
    assert tray.ledger.data_version() != before
    assert tray.sync.restart_if_others_wrote(NOW) is False
    write_jsonl(f, [assistant("msg_2", 10, minutes=2)], mode="a")
    run("status")  # counts the new line before the tray reads it
    tray.scan()
    assert (tray.sync.restarts, tray.responses) == (1, 2)
    tray.close()


def test_the_running_service_keeps_its_state_while_its_dashboard_reads(
    setup: tuple[Path, Path, Path],
) -> None:
    root, db, f = setup
    service = UsageService(
        lambda: Roots((root,)), db, PRICES,
        options=ServiceOptions(tick_seconds=0.02, flush_seconds=0.02), clock=lambda: NOW,
    )  # fmt: skip
    source = HistorySource(db, PRICES, [root])
    service.start()
    try:
        assert service.ready.wait(10)
        write_jsonl(f, [assistant("msg_2", 10, minutes=2)], mode="a")
        service.notify(f)
        _wait_for(lambda: _rows(db) == 2)  # counted and written by the service itself
        assert source.parts(0, 1e12)  # the dashboard brings the rollup up to date
        ticks = service.latest
        _wait_for(lambda: service.latest is not ticks)  # a tick looked at the ledger since
        assert service._sync is not None and service._sync.restarts == 0
        write_jsonl(f, [assistant("msg_3", 10, minutes=3)], mode="a")
        _cli_counts(root, db)
        service.notify(f)
        _wait_for(lambda: service.latest is not None and service.latest.totals.responses == 3)
        assert service._sync.restarts == 1
    finally:
        source.close()
        service.stop()


def _rows(db: Path) -> int:
    with sqlite3.connect(db) as raw:
        (n,) = raw.execute("SELECT count(*) FROM responses").fetchone()
    raw.close()
    return int(n)


def _wait_for(done: Callable[[], bool]) -> None:
    end = time.monotonic() + 10
    while not done():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)
