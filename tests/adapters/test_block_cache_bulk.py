"""The block cache's bulk build (plain rows) stores the very rows the per-Entry build stores."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.builders import T0
from tray_app.adapters.block_cache import BlockCache
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.prices import load_price_table
from tray_app.usage.model import Entry, ResetNotice
from tray_app.usage.reports import totals_of

PRICES = load_price_table()
MODELS = ("claude-opus-4-6", "claude-sonnet-4-5", "mystery-9")  # the last one has no price
AT = T0.timestamp() - T0.timestamp() % 3600
NOW = AT + 10 * 86400

responses = st.lists(
    st.tuples(
        st.one_of(st.integers(0, 40).map(lambda k: k * 30), st.integers(0, 60 * 20)),  # minutes
        st.integers(0, 120_000),  # input
        st.integers(0, 3000),  # output
        st.integers(0, 2),  # model
        st.sampled_from(("", "fast")),
        st.sampled_from((None, None, 1e7 + 0.3, 2.5e-10)),  # a legacy costUSD
    ),
    min_size=1,
    max_size=50,
)
notices = st.lists(st.tuples(st.integers(0, 60 * 20), st.integers(1, 400)), max_size=3)


def entries_of(given_rows: list[tuple[int, int, int, int, str, float | None]]) -> list[Entry]:
    """The responses of a drawn `responses` list (keys in order: k00, k01, ...)."""
    return [
        Entry(f"k{n:02d}", AT + m * 60, "s", MODELS[model], inp, out, inp // 5, 0, inp // 2,
              0, speed, "", cu)
        for n, (m, inp, out, model, speed, cu) in enumerate(given_rows)
    ]  # fmt: skip


def resets_of(given_notices: list[tuple[int, int]]) -> list[ResetNotice]:
    """The reset notices of a drawn `notices` list, by time."""
    return sorted((ResetNotice(AT + m * 60 + 7, AT + m * 60 + d * 60) for m, d in given_notices),
                  key=lambda r: r.timestamp)  # fmt: skip


def _stored(ledger: Ledger) -> list[tuple[Any, ...]]:
    db: Any = ledger.db  # peewee ships no type hints
    return list(db.execute_sql("SELECT * FROM block_cache ORDER BY start"))


def _build(
    path: Path, entries: list[Entry], resets: list[ResetNotice], bulk: bool
) -> tuple[object, ...]:
    ledger = Ledger.open(path)
    try:
        ledger.write(entries)
        # A key of no response: nothing is left out, but the build goes Entry by Entry.
        exclude = frozenset() if bulk else frozenset({"no-such-key"})
        cache = BlockCache(ledger, PRICES, PRICES.cost, None, (), exclude)
        builder = cache.builder(resets)
        assert builder is not None
        return (_stored(ledger), builder.open_block(NOW), builder.responses(),
                [builder.cost(e) for e in builder.responses()])  # fmt: skip
    finally:
        ledger.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Exactly 5 h after a response on the block's hour (same block), then a later block.
@example([(0, 5, 5, 0, "", None), (300, 5, 5, 1, "", None), (700, 5, 5, 0, "", None)], [], False)
@given(responses, notices, st.booleans())
def test_the_bulk_build_stores_what_the_entry_build_stores(
    given_rows: list[tuple[int, int, int, int, str, float | None]],
    given_notices: list[tuple[int, int]],
    indexed: bool,
) -> None:
    entries, resets = entries_of(given_rows), resets_of(given_notices)
    with tempfile.TemporaryDirectory() as tmp:
        bulk_path = Path(tmp) / "bulk.db"
        if indexed:  # the rollup made the time index first: the first build still scans
            ledger = Ledger.open(bulk_path)
            ledger.db.execute_sql("CREATE INDEX IF NOT EXISTS responses_ts ON responses (ts)")
            ledger.close()
        got = _build(bulk_path, entries, resets, bulk=True)
        want = _build(Path(tmp) / "entries.db", entries, resets, bulk=False)
    assert got == want


def test_a_resume_reads_the_open_block_again_and_stores_only_new_blocks(tmp_path: Path) -> None:
    ledger = Ledger.open(tmp_path / "l.db")
    try:
        # Three blocks 6 h apart; the third one stays open.
        ledger.write([Entry(f"k{i}", AT + i * 6 * 3600, "s", MODELS[0], 10, 10) for i in range(3)])
        cache = BlockCache(ledger, PRICES, PRICES.cost)
        first = cache.builder([])
        assert first is not None and len(_stored(ledger)) == 2
        ledger.write([Entry("k3", AT + 3 * 6 * 3600, "s", MODELS[0], 10, 10)])
        again = cache.builder([])
        assert again is not None
        stored = _stored(ledger)
        assert [row[0] for row in stored] == [AT, AT + 6 * 3600, AT + 12 * 3600]
        assert [e.key for e in again.responses()] == ["k3"]
    finally:
        ledger.close()


def test_a_block_the_clock_ended_is_stored_and_a_late_line_in_it_drops_it(
    tmp_path: Path,
) -> None:
    ledger = Ledger.open(tmp_path / "l.db")
    try:
        # Two blocks 6 h apart; at NOW (days later) the second has ended too.
        ledger.write([Entry(f"k{i}", AT + i * 6 * 3600, "s", MODELS[0], 10, 10) for i in range(2)])
        cache = BlockCache(ledger, PRICES, PRICES.cost)
        first = cache.blocks(NOW, [])
        assert first is not None and [b.totals.responses for b in first] == [1, 1]
        assert [row[0] for row in _stored(ledger)] == [AT, AT + 6 * 3600]  # both stored
        resumed = cache.builder([], NOW)
        assert resumed is not None and resumed.responses() == []  # nothing read again
        # A line written late, inside the stored second block: it is dropped and rebuilt.
        ledger.write([Entry("late", AT + 6 * 3600 + 60, "s", MODELS[0], 5, 5)])
        assert [row[0] for row in _stored(ledger)] == [AT]
        again = cache.blocks(NOW, [])
        assert again is not None and [b.totals.responses for b in again] == [1, 2]
        # Before the clock has ended the block, it stays open (and is read again).
        early = BlockCache(ledger, PRICES, PRICES.cost).blocks(AT + 6 * 3600 + 120, [])
        assert early is not None and early[-1].is_active
    finally:
        ledger.close()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# The window ends at the open block's first response, or inside it at one (the end is
# exclusive).
@example([(0, 5, 5, 0, "", None), (600, 7, 7, 1, "", None)], [], 0, 600)
@example([(0, 5, 5, 0, "", None), (600, 7, 7, 1, "", None), (620, 1, 1, 2, "", None)], [], 610, 10)
# A notice splits three responses of one time: the open block's first is not the first
# response of its time (the closed block before it has one too).
@example([(2, 5, 5, 0, "", None)] * 3, [(0, 1)], 0, 10)
@given(responses, notices, st.integers(-60, 60 * 21), st.integers(0, 60 * 22))
def test_a_window_after_blocks_equals_a_count_of_its_responses(
    given_rows: list[tuple[int, int, int, int, str, float | None]],
    given_notices: list[tuple[int, int]],
    lo_min: int,
    span: int,
) -> None:
    # The open block's responses come from memory, the rest from whole blocks and SQL.
    entries = entries_of(given_rows)
    lo, hi = AT + lo_min * 60, AT + (lo_min + span) * 60
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger.open(Path(tmp) / "l.db")
        try:
            ledger.write(entries)
            cache = BlockCache(ledger, PRICES, PRICES.cost)
            # A clock just after the newest response: its block is (nearly always) open.
            blocks = cache.blocks(max(e.timestamp for e in entries) + 1, resets_of(given_notices))
            assert blocks is not None
            got = cache.window(blocks, lo, hi)
        finally:
            ledger.close()
    want = totals_of([e for e in entries if lo <= e.timestamp < hi], PRICES.cost)
    assert replace(got, cost_usd=0.0) == replace(want, cost_usd=0.0)
    assert abs(got.cost_usd - want.cost_usd) < 1e-6
