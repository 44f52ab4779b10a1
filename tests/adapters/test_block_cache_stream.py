"""The block cache's streamed build equals a from-scratch build over the same responses."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.builders import T0
from tray_app.adapters.block_cache import BlockCache
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.prices import load_price_table
from tray_app.usage.blocks import Block, build_blocks
from tray_app.usage.model import Entry, ResetNotice

PRICES = load_price_table()
MODELS = ("claude-opus-4-6", "claude-sonnet-4-5", "mystery-9")  # the last one has no price
NOW = T0.timestamp() + 40 * 86400


def _entry(key: int, minutes: float, out: int, model: int, fast: bool) -> Entry:
    t = T0.timestamp() + minutes * 60
    speed = "fast" if fast else "standard"
    return Entry(f"k{key}", t, f"s{key % 3}", MODELS[model], 7, out, 3, 0, 11, 0, speed)


def _view(blocks: list[Block]) -> list[tuple[object, ...]]:
    return [
        (b.start, b.end, b.first_activity, b.last_activity, b.official_reset, b.totals, b.models)
        for b in blocks
        if not b.is_gap
    ]  # fmt: skip


responses = st.lists(
    st.tuples(
        st.floats(0, 60 * 24 * 6, allow_nan=False),  # minutes after T0
        st.integers(1, 500),  # output
        st.integers(0, 2),  # model
        st.booleans(),  # fast mode
        st.booleans(),  # read the cache after this response
    ),
    min_size=1,
    max_size=40,
)
notices = st.lists(
    st.tuples(st.floats(0, 60 * 24 * 6, allow_nan=False), st.floats(1, 400, allow_nan=False)),
    max_size=3,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Found by hypothesis: a notice splits responses of one time into two blocks; the cache
# kept the first and a resume, reading after its newest time, lost the second.
@example([(2.0, 1, 0, False, False)] * 3 + [(2.0, 1, 0, False, True)] * 2, [(0.0, 1.0)], set())
@example([(2.0, 1, 0, False, False)] * 3 + [(2.0, 1, 0, False, True)], [(0.0, 1.0)], set())
# Found by hypothesis: such a first block ends before its only response; a later response
# of that time must drop it from the cache (a write dropped only blocks ending after it).
@example([(2.0, 1, 0, False, True), (3.0, 1, 0, False, False), (2.0, 1, 0, False, True)],
         [(0.0, 1.0)], set())  # fmt: skip
@given(responses, notices, st.sets(st.integers(0, 39), max_size=5))
def test_streamed_blocks_equal_a_build_from_scratch(
    given_rows: list[tuple[float, int, int, bool, bool]],
    given_notices: list[tuple[float, float]],
    excluded: set[int],
) -> None:
    entries = [_entry(i, *row[:4]) for i, row in enumerate(given_rows)]
    at = T0.timestamp()
    resets = sorted(
        (ResetNotice(at + m * 60, at + m * 60 + d * 60) for m, d in given_notices),
        key=lambda r: r.timestamp,
    )
    exclude = frozenset(f"k{i}" for i in excluded)
    memo: dict[str, float | None] = {}

    def memoized(e: Entry) -> float | None:  # as cli/dataset.Dataset.cost prices
        if e.key not in memo:
            memo[e.key] = PRICES.cost(e)
        return memo[e.key]

    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger.open(Path(tmp) / "l.db")
        cache = BlockCache(ledger, PRICES, memoized, None, (), exclude)
        written: list[Entry] = []
        for entry, row in zip(entries, given_rows, strict=True):
            ledger.write([entry])  # resumes from the blocks stored so far, in any order
            written.append(entry)
            if row[4]:
                got = cache.blocks(NOW, resets)
                kept = [e for e in written if e.key not in exclude]
                assert got is not None
                assert _view(got) == _view(build_blocks(kept, NOW, PRICES.cost, resets))
        got = cache.blocks(NOW, resets)
        # The in-memory path (responses handed over, not streamed) says the same.
        fresh = tempfile.mkdtemp(dir=tmp)
        other = Ledger.open(Path(fresh) / "l.db")
        kept = [e for e in entries if e.key not in exclude]
        loaded = BlockCache(other, PRICES, PRICES.cost, kept).blocks(NOW, resets)
        other.close()
        ledger.close()
    want = _view(build_blocks(kept, NOW, PRICES.cost, resets))
    assert got is not None and loaded is not None
    assert _view(got) == want
    assert _view(loaded) == want


def test_the_first_build_leaves_a_time_index_so_a_resume_reads_only_the_open_block(
    tmp_path: Path,
) -> None:
    ledger = Ledger.open(tmp_path / "l.db")
    try:
        ledger.write([_entry(i, i * 90.0, 10, 0, False) for i in range(20)])
        cache = BlockCache(ledger, PRICES, PRICES.cost, None)
        first = cache.blocks(NOW, [])
        db: Any = ledger.db  # peewee ships no type hints
        plan = db.execute_sql(
            "EXPLAIN QUERY PLAN SELECT key FROM responses WHERE ts > ? AND ts < ? ORDER BY ts",
            (0.0, 1e18),
        ).fetchall()
        # Before, only a rollup build made the index: a `status`-only ledger scanned and
        # sorted every response on each restart.
        assert any("responses_ts" in str(row[-1]) for row in plan), plan
        ledger.write([_entry(99, 20 * 90.0, 10, 0, False)])
        again = cache.blocks(NOW, [])
    finally:
        ledger.close()
    assert first is not None and again is not None
    assert sum(b.tokens for b in again) == sum(b.tokens for b in first) + 31
