"""The builder's bulk path (`feed_rows`: plain rows, priced by `PriceTable.usd`) leaves the
builder exactly as `feed` of the same responses does: blocks, open block, held prices."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.builders import T0
from tray_app.adapters.prices import load_price_table
from tray_app.usage.block_builder import BlockBuilder
from tray_app.usage.block_bulk import Row
from tray_app.usage.blocks import Block
from tray_app.usage.model import Entry, ResetNotice

PRICES = load_price_table()
# Fast mode (x6), a long-context tier, no price at all, and a snapshot spelling.
MODELS = ("claude-opus-4-6", "claude-sonnet-4-5", "mystery-9", "claude-haiku-4-5-20251001")
AT = T0.timestamp() - T0.timestamp() % 3600  # on the hour: blocks end on the draws' times
# Half hours make exact 5-hour gaps and ends common; any minute the rest.
MINUTES = st.one_of(st.integers(0, 48).map(lambda k: k * 30), st.integers(0, 60 * 24))

responses = st.lists(
    st.tuples(
        MINUTES,  # after AT (repeats: equal times)
        st.integers(0, 150_000),  # input (two large ones cross the 200K tier)
        st.integers(0, 4000),  # output
        st.integers(0, 3),  # model
        st.sampled_from(("", "", "", "fast")),
        st.sampled_from(("", "", "", "us")),
        st.sampled_from((0, 0, 0, 2)),  # web searches
        # A legacy costUSD; magnitudes far apart make the sum depend on the order.
        st.sampled_from((None, None, None, 0.0125, 1e8 + 0.3, 3.3e-10)),
        st.integers(0, 90_000),  # cache reads
    ),
    max_size=60,
)
# (minute, seconds from the notice to its reset, seconds from the minute to the notice)
notices = st.lists(
    st.tuples(
        MINUTES,
        st.one_of(st.integers(-30, 400).map(lambda d: d * 60.0), st.sampled_from((0.25, 1.0))),
        st.sampled_from((0.0, -0.5, 17.0)),
    ),
    max_size=4,
)
Rows = list[tuple[int, int, int, int, str, str, int, float | None, int]]


def plain(*minutes: int) -> Rows:
    """Responses of one priced model at these minutes."""
    return [(m, 10, 10, 0, "", "", 0, None, 0) for m in minutes]


def _entries(given_rows: Rows) -> list[Entry]:
    out = []
    for n, (minutes, inp, o, model, speed, geo, ws, cu, read) in enumerate(given_rows):
        out.append(Entry(f"k{n:03d}", AT + minutes * 60, "s", MODELS[model], inp, o, inp // 3,
                         inp // 7, read, ws, speed, geo, cu))  # fmt: skip
    # Time order, equal times in key order: what the ledger's sorted read gives.
    return sorted(out, key=lambda e: (e.timestamp, e.key))


def _row(e: Entry) -> Row:
    return (e.timestamp, e.model, e.input_tokens, e.cache_5m_tokens, e.cache_1h_tokens,
            e.cache_read_tokens, e.output_tokens, e.web_search_requests, e.speed, e.geo,
            e.cost_usd)  # fmt: skip


def _resets(given: list[tuple[int, float, float]]) -> list[ResetNotice]:
    # A notice at, just before or after a response's minute; a negative delay: reset past.
    return [ResetNotice(AT + m * 60 + off, AT + m * 60 + off + d) for m, d, off in given]


def _state(b: BlockBuilder, now: float) -> tuple[object, ...]:
    members = b.responses()
    return (b.closed, b.open_block(now), members, [b.cost(e) for e in members], b.after,
            b._notices, b._pending, b._seq)  # fmt: skip


def _pair(resets: list[ResetNotice], closed: list[Block]) -> tuple[BlockBuilder, BlockBuilder]:
    return BlockBuilder(PRICES.cost, resets, closed), BlockBuilder(PRICES.cost, resets, closed)


def _bulk(b: BlockBuilder, fed: list[Entry]) -> None:
    def held(first: float, count: int) -> list[Entry]:
        return [e for e in fed if e.timestamp >= first][-count:]

    b.feed_rows(map(_row, fed), PRICES.usd, held)


@settings(max_examples=600, deadline=None)
# A notice before the first response ends the first block at a reset before it: the next
# response at the same time opens the next block (equal times split between two blocks).
@example(plain(10, 10), [(0, 300.0, 17.0)], 0)
# Exactly 5 h after a response on the block's hour: still the same block.
@example(plain(0, 300, 700), [], 0)
# A response at an official end opens the next block.
@example(plain(0, 30, 60, 700), [(10, 3000.0, 0.0)], 0)
# A notice between the first block's hour and its first response still ends it.
@example(plain(20, 40, 700), [(10, 1200.0, 0.0)], 0)
# After an official end off the hour, the next block starts at that end.
@example(plain(0, 100, 700), [(10, 4800.0, 0.0)], 0)
# A notice half a second before a response, its reset before that response.
@example(plain(0, 30, 700), [(30, 0.25, -0.5)], 0)
@given(responses, notices, st.integers(0, 60))
def test_feed_rows_leaves_the_builder_feed_leaves(
    given_rows: Rows,
    given_notices: list[tuple[int, float, float]],
    split: int,
) -> None:
    entries = _entries(given_rows)
    resets = sorted(_resets(given_notices), key=lambda r: r.timestamp)
    now = AT + 4 * 86400
    # A resume: the blocks a first part closed, then the responses after them.
    first = BlockBuilder(PRICES.cost, resets)
    first.feed(entries[:split])
    closed = first.closed
    since = closed[-1].last_activity or 0.0 if closed else float("-inf")
    rest = [e for e in entries if e.timestamp > since]
    by_entry, by_row = _pair(resets, closed)
    by_entry.feed(rest)
    _bulk(by_row, rest)
    assert _state(by_row, now) == _state(by_entry, now)
    # And it carries on alike: a later response, a notice, an earlier copy.
    later = Entry("z", (entries[-1].timestamp if entries else AT) + 3600, "s", MODELS[0], 9, 9)
    assert by_row.add(later) == by_entry.add(later)
    notice = ResetNotice(later.timestamp - 60, later.timestamp + 60)
    assert by_row.reset(notice) == by_entry.reset(notice)
    assert _state(by_row, now) == _state(by_entry, now)


@given(responses)
def test_usd_of_the_fields_is_the_cost_of_the_entry(
    given_rows: Rows,
) -> None:
    for e in _entries(given_rows):
        assert PRICES.usd(*_row(e)[1:]) == PRICES.cost(e)


def test_a_tier_crossing_response_is_priced_at_the_long_context_rates() -> None:
    # 150,000 input + 50,000 cache writes + 1 read > 200,000: every token at the tier's rates.
    usd = PRICES.usd("claude-sonnet-4-5", 150_000, 50_000, 0, 1, 1000, 0, "", "", None)
    assert usd == pytest.approx((150_000 * 6 + 50_000 * 7.5 + 0.6 + 1000 * 22.5) / 1e6)


def test_held_must_give_the_open_blocks_responses() -> None:
    fed = _entries([(m, 10, 10, 0, "", "", 0, None, 0) for m in (0, 1, 2)])
    with pytest.raises(ValueError, match="held"):
        BlockBuilder(PRICES.cost).feed_rows(map(_row, fed), PRICES.usd, lambda f, n: fed[:1])


def test_feed_rows_needs_a_builder_without_an_open_block() -> None:
    fed = _entries([(0, 10, 10, 0, "", "", 0, None, 0)])
    builder = BlockBuilder(PRICES.cost)
    builder.feed(fed)
    with pytest.raises(ValueError, match="open block"):
        builder.feed_rows([], PRICES.usd, lambda f, n: [])


def test_no_rows_leave_the_builder_empty() -> None:
    builder = BlockBuilder(PRICES.cost)
    builder.feed_rows([], PRICES.usd, lambda f, n: pytest.fail("nothing is held"))
    assert builder.blocks(AT) == []
