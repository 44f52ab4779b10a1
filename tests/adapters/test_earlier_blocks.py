"""Reading only the recent cached blocks: the rest, summed, gives what decoding them gives."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import T0
from tray_app.adapters.block_cache import BlockCache
from tray_app.adapters.earlier_blocks import Earlier
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.prices import load_price_table
from tray_app.usage.blocks import Block
from tray_app.usage.limits import compute_limit
from tray_app.usage.model import Entry, ResetNotice
from tray_app.usage.reports import sum_totals

PRICES = load_price_table()
MODELS = ("claude-opus-4-6", "claude-sonnet-4-5", "mystery-9")  # the last one has no price
DAY = 86400.0
NOW = T0.timestamp() + 30 * DAY

responses = st.lists(
    st.tuples(
        st.floats(0, 30 * 24 * 60 - 1, allow_nan=False),  # minutes after T0 (30 days)
        st.integers(1, 5000),  # output
        st.integers(0, 2),  # model
        st.floats(0.0, 0.37, allow_nan=False),  # a cost of the transcript's own (some)
    ),
    min_size=1,
    max_size=60,
)


def _entries(rows: list[tuple[float, int, int, float]]) -> list[Entry]:
    return [
        Entry(f"k{i}", T0.timestamp() + m * 60, f"s{i % 3}", MODELS[model], 7, out, 3, 0, 11,
              cost_usd=cost if i % 4 == 0 else None)
        for i, (m, out, model, cost) in enumerate(rows)
    ]  # fmt: skip


def _read(ledger: Ledger, resets: list[ResetNotice], since: float | None) -> BlockCache:
    cache = BlockCache(ledger, PRICES, PRICES.cost)
    assert cache.blocks(NOW, resets, since) is not None
    return cache


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(responses, st.floats(0, 31, allow_nan=False), st.booleans())
def test_the_recent_blocks_and_the_earlier_sums_are_the_whole_history(
    rows: list[tuple[float, int, int, float]], days_back: float, built_first: bool
) -> None:
    since = NOW - days_back * DAY
    resets = [ResetNotice(T0.timestamp() + 3 * DAY, T0.timestamp() + 3 * DAY + 3600)]
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger.open(Path(tmp) / "l.db")
        try:
            ledger.write(_entries(rows), resets=resets)
            if built_first:  # the cache filled by an earlier command (else: by this read)
                _read(ledger, resets, None)
            cache = _read(ledger, resets, since)
            recent = cache.blocks(NOW, resets, since)
            whole = _read(ledger, resets, None).blocks(NOW, resets)
            assert recent is not None and whole is not None
            earlier = cache.earlier
        finally:
            ledger.close()
    left_out = whole[: len(whole) - len(recent)]
    assert recent == whole[len(left_out) :]  # the newest blocks, as decoded
    assert recent, "the newest cached block is always read (a resume goes on from it)"
    assert all(b.start < since for b in left_out)
    _same_as_decoded(earlier, left_out)
    # What `status` shows: all-time totals and the "max" limit, exactly.
    assert sum_totals([earlier.totals, *(b.totals for b in recent)]) == sum_totals(
        b.totals for b in whole
    )
    assert compute_limit(recent, "max", NOW, None, earlier.peak) == compute_limit(whole, "max", NOW)


def _same_as_decoded(earlier: Earlier, blocks: list[Block]) -> None:
    assert earlier.peak == max((b.tokens for b in blocks), default=None)
    assert earlier.unpriced == {
        m.model for b in blocks for m in b.models if m.totals.unpriced_responses
    }
    assert earlier.last_activity == max((b.last_activity or 0.0 for b in blocks), default=None)
    assert earlier.totals.responses == sum(b.totals.responses for b in blocks)
