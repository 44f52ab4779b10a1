"""A first scan's blocks built beside its write are the blocks the cache's first build makes,
and are stored only when they are the ledger's."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import tempfile
import threading
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings

from tests.adapters.test_block_cache_bulk import (
    MODELS,
    NOW,
    PRICES,
    _stored,
    entries_of,
    notices,
    resets_of,
    responses,
)
from tests.builders import T0, assistant, write_jsonl
from tray_app.adapters import block_seed, bulk_read, scanner
from tray_app.adapters.block_cache import BlockCache
from tray_app.adapters.discovery import Roots
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.scanner import Engine
from tray_app.cli.environment import Environment
from tray_app.cli.main import main
from tray_app.usage.model import Entry, ResetNotice


def _state(ledger: Ledger, resets: list[ResetNotice]) -> tuple[object, ...]:
    builder = BlockCache(ledger, PRICES, PRICES.cost).builder(resets)
    assert builder is not None
    return (_stored(ledger), builder.open_block(NOW), builder.responses(),
            [builder.cost(e) for e in builder.responses()])  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Two responses at one time in two blocks' worth of data (ties go in key order).
@example([(0, 5, 5, 0, "", 2.5e-10), (0, 7, 5, 2, "", 1e7 + 0.3), (400, 5, 5, 1, "", None)], [])
# Two at one time in the open block: held in key order, as the cache reads them.
@example([(0, 5, 5, 0, "", None), (0, 9, 9, 1, "", None)], [])
@given(responses, notices)
def test_seeded_blocks_are_the_first_builds(
    given_rows: list[tuple[int, int, int, int, str, float | None]],
    given_notices: list[tuple[int, int]],
) -> None:
    entries, resets = entries_of(given_rows), resets_of(given_notices)
    with tempfile.TemporaryDirectory() as tmp:
        seeded = Ledger.open(Path(tmp) / "seeded.db")
        built = Ledger.open(Path(tmp) / "built.db")
        try:
            for ledger in (seeded, built):
                ledger.write(entries, resets=resets)
            cache = BlockCache(seeded, PRICES, PRICES.cost)
            with seeded.writing():
                # A scan holds them in first-seen order, not in key order.
                cache.store_seeded(block_seed.finished_blocks(cache, entries[::-1], resets))
            assert _state(seeded, resets) == _state(built, resets)
        finally:
            seeded.close()
            built.close()


def _data(root: Path, days: int = 6) -> None:
    """Responses a day apart in two files that share some (the later copy is larger)."""
    for f in range(2):
        lines = [assistant(f"msg_{d}", 10 + f, input_tokens=1000 + d, minutes=d * 24 * 60)
                 for d in range(f, days + f)]  # fmt: skip
        write_jsonl(root / "p" / f"s{f}.jsonl", lines)  # type: ignore[arg-type]


@pytest.fixture
def bulk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any read is a bulk read on two readers, written once."""
    monkeypatch.setattr(bulk_read, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(bulk_read, "workers", lambda: 2)


def _no_children() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def _engine(tmp_path: Path) -> tuple[Engine, BlockCache]:
    """`_data` in tmp_path/projects and an engine on ledger l.db that seeds its blocks."""
    _data(tmp_path / "projects")
    engine = Engine(Roots((tmp_path / "projects",)), Ledger.open(tmp_path / "l.db"))
    assert engine.ledger is not None
    cache = BlockCache(engine.ledger, PRICES, PRICES.cost, None, engine.root_ids)
    engine.first_write = partial(block_seed.start, cache)
    return engine, cache


def _first_scan(engine: Engine) -> Path:
    """The engine's first scan (its child reaped, as are the readers); the ledger's path."""
    engine.refresh()
    assert _no_children() and engine.ledger is not None
    return engine.ledger.path


def _count(db: Path, sql: str) -> Any:
    with sqlite3.connect(db) as con:
        return con.execute(sql).fetchone()[0]


def test_a_first_scan_stores_its_blocks_with_its_responses(tmp_path: Path, bulk: None) -> None:
    engine, _ = _engine(tmp_path)
    # Stored by the scan itself: five finished blocks, the sixth (newest) one open.
    assert _count(_first_scan(engine), "SELECT COUNT(*) FROM block_cache") == 6
    plain = Engine(Roots((tmp_path / "projects",)), Ledger.open(tmp_path / "built.db"))
    plain.refresh()
    assert plain.ledger is not None and engine.ledger is not None
    assert _count(tmp_path / "built.db", "SELECT COUNT(*) FROM block_cache") == 0
    # The one write's log copy runs on a thread beside what follows (wal_checkpoint.py).
    assert [t.name for t in engine.ledger.threads] == ["tm-checkpoint"]
    assert plain.ledger.threads == []
    engine.ledger.close()  # joins it
    assert engine.ledger.threads == []
    assert _state(engine.ledger, []) == _state(plain.ledger, [])


def test_blocks_are_not_stored_when_another_process_counted_first(
    tmp_path: Path, bulk: None
) -> None:
    engine, cache = _engine(tmp_path)
    start = engine.first_write
    assert start is not None

    def other_counts_first(*args: Any) -> block_seed.Seed | None:
        other = Ledger.open(tmp_path / "l.db")  # e.g. the tray, between look-up and write
        other.write([Entry("msg_other", T0.timestamp() + 30 * 60, "s", MODELS[0], 5, 5)])
        other.close()
        return start(*args)

    engine.first_write = other_counts_first
    assert _count(_first_scan(engine), "SELECT COUNT(*) FROM block_cache") == 0
    builder = cache.builder([])  # built from the ledger: the other response counts
    assert builder is not None
    assert sum(b.totals.responses for b in builder.blocks(NOW) if not b.is_gap) == 8


def test_blocks_are_not_stored_when_the_resets_differ(tmp_path: Path, bulk: None) -> None:
    engine, _ = _engine(tmp_path)
    start = engine.first_write
    assert start is not None
    late = ResetNotice(T0.timestamp() + 60, T0.timestamp() + 3600)
    engine.first_write = lambda entries, resets: start(entries, {*resets, late})
    assert _count(_first_scan(engine), "SELECT COUNT(*) FROM block_cache") == 0


def test_a_failed_child_leaves_the_write_and_the_cache_as_before(
    tmp_path: Path, bulk: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> Any:
        raise MemoryError  # in the child: it exits without a result

    monkeypatch.setattr(block_seed, "finished_blocks", broken)
    db = _first_scan(_engine(tmp_path)[0])
    assert _count(db, "SELECT COUNT(*) FROM responses") == 7
    assert _count(db, "SELECT COUNT(*) FROM block_cache") == 0


def test_blocks_that_fail_to_store_leave_the_responses_written(
    tmp_path: Path, bulk: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: BlockCache, closed: object) -> None:
        self.ledger.db.execute_sql("INSERT INTO meta VALUES ('half-stored', '1')")
        raise TypeError("a bug in the block code")

    monkeypatch.setattr(BlockCache, "store_seeded", broken)
    db = _first_scan(_engine(tmp_path)[0])
    assert _count(db, "SELECT COUNT(*) FROM responses") == 7
    assert _count(db, "SELECT COUNT(*) FROM meta WHERE key = 'half-stored'") == 0


def test_a_later_write_or_one_in_parts_starts_no_child(
    tmp_path: Path, bulk: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[int] = []
    engine, _ = _engine(tmp_path)
    engine.first_write = lambda entries, resets: started.append(len(entries))
    monkeypatch.setattr(scanner, "FLUSH_ENTRIES", 1)  # written range by range
    monkeypatch.setattr(bulk_read, "RANGE_BYTES", 1)
    engine.refresh()
    assert started == []
    _data(tmp_path / "more", days=9)  # a second scan: the ledger is not empty
    later = Engine(Roots((tmp_path / "more",)), engine.ledger)
    later.first_write = engine.first_write
    later.refresh()
    assert started == []


def test_no_fork_while_other_threads_run(tmp_path: Path) -> None:
    ledger = Ledger.open(tmp_path / "l.db")
    cache = BlockCache(ledger, PRICES, PRICES.cost)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, name="test-other")
    other.start()
    try:
        assert block_seed.start(cache, {}, set()) is None
    finally:
        stop.set()
        other.join()
        ledger.close()


def test_status_after_a_first_scan_equals_status_on_a_built_cache(
    tmp_path: Path, bulk: None
) -> None:
    _data(tmp_path / "projects")
    now = T0.timestamp() + 6 * 86400

    def status(db: str, command: str = "status") -> Any:
        out, err = io.StringIO(), io.StringIO()
        paths = {"TOKEN_MONITOR_DB": str(tmp_path / db),
                 "TOKEN_MONITOR_CONFIG": str(tmp_path / "none.yaml")}  # fmt: skip
        env = Environment(out, err, paths, now)
        args = [command, "--json", "--data-dir", str(tmp_path / "projects")]
        assert main(args, env) == 0, err.getvalue()
        return json.loads(out.getvalue())

    seeded = status("a.db")
    assert _count(tmp_path / "a.db", "SELECT COUNT(*) FROM block_cache") == 6
    status("b.db", "daily")  # counts without building blocks
    assert _count(tmp_path / "b.db", "SELECT COUNT(*) FROM block_cache") == 0
    assert seeded == status("b.db")
