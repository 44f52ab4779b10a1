"""The one block builder: fed in any order, it gives the blocks of a from-scratch build."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.builders import T0, entry
from tray_app.usage.block_builder import BlockBuilder, Stale
from tray_app.usage.blocks import Block, build_blocks
from tray_app.usage.dedup import Deduper
from tray_app.usage.model import Entry, ResetNotice


def cost(e: Entry) -> float | None:
    # Whole numbers: sums do not depend on the order responses arrive in.
    return None if e.model == "c" else float(e.total_tokens)


def view(blocks: list[Block]) -> list[tuple[object, ...]]:
    return [
        (b.start, b.end, b.first_activity, b.last_activity, b.totals, b.is_active, b.is_gap,
         b.official_reset, {m.model: m.totals for m in b.models})
        for b in blocks
    ]  # fmt: skip


# (kind, minutes after T0, tokens, model, key): kind 0 a response copy (keys repeat:
# larger or earlier copies replace), kind 1 a reset notice `tokens` minutes later.
events = st.lists(
    st.tuples(st.sampled_from((0, 0, 0, 0, 1)), st.integers(0, 60 * 24),
              st.integers(1, 400), st.sampled_from("abc"), st.integers(0, 30)),
    min_size=1, max_size=40,
)  # fmt: skip


Event = tuple[int, int, int, str, int]


def offer(builder: BlockBuilder, deduper: Deduper, resets: list[ResetNotice], ev: Event) -> None:
    """One arrival, as the live view applies it; a Stale answer rewinds and refeeds."""
    kind, minutes, tokens, model, key = ev
    at = T0.timestamp() + minutes * 60
    stale: Stale | None = None
    if kind == 1:
        notice = ResetNotice(at, at + tokens * 60)
        resets.append(notice)
        stale = builder.reset(notice)
    else:
        change = deduper.offer(entry(minutes, tokens, key=f"k{key}", model=model, output=tokens))
        if change is None:
            return
        if change.old is None:
            stale = builder.add(change.new)
        else:
            stale = builder.replace(change.old, change.new)
    if stale is not None:
        after = builder.rewind(stale.since, resets)
        builder.feed(sorted((e for e in deduper if e.timestamp > after), key=_ts))


def _ts(e: Entry) -> float:
    return e.timestamp


@settings(max_examples=1000, deadline=None)
# A reset notice weighed before a response that lands before it (out of order).
@example(
    [(0, 0, 5, "a", 0), (1, 30, 600, "a", 0), (0, 20, 5, "a", 1), (0, 400, 5, "a", 2)], True, 9
)
# An earlier copy moves the open block's only response into the block before.
@example([(0, 0, 1, "a", 1), (0, 301, 1, "a", 0), (0, 289, 1, "a", 0)], False, 9)
# Found by hypothesis: a notice between a late earlier response and the block's first one
# ends the block after the earlier one (it was not weighed while the block had one member).
@example([(0, 1, 1, "a", 0), (1, 0, 1, "a", 0), (0, 0, 1, "a", 1)], False, 9)
# Found by hypothesis: a notice written before a block's opening response was weighed
# against the block before (where it lies outside), never against the new one.
@example([(0, 0, 1, "a", 0), (0, 290, 1, "a", 1), (1, 289, 1, "a", 0)], False, 9)
# Found by hypothesis: a larger copy keeps its response's place among equal times.
@example([(0, 2, 1, "a", 0), (0, 2, 1, "a", 1), (0, 2, 2, "a", 0), (1, 0, 1, "a", 0)], False, 9)
# Found by hypothesis: a notice ends the first block before its only response; a copy
# moved to that response's time must regroup that block too.
@example([(0, 3, 1, "a", 0), (0, 2, 1, "b", 1), (1, 0, 1, "a", 0), (0, 2, 1, "a", 0)], False, 9)
@given(events, st.booleans(), st.integers(0, 40))
def test_any_order_gives_the_from_scratch_blocks(
    evs: list[Event], forward: bool, restart: int
) -> None:
    if forward:  # mostly in time order, as live data is
        evs = sorted(evs, key=lambda ev: ev[1])
    builder = BlockBuilder(cost)
    deduper, resets = Deduper(), list[ResetNotice]()
    for i, ev in enumerate(evs):
        if i == restart:
            # A restart: the stored closed blocks, then the responses after them again.
            builder = BlockBuilder(cost, resets, builder.closed)
            after = builder.closed[-1].last_activity or 0.0 if builder.closed else -1.0
            builder.feed(sorted((e for e in deduper if e.timestamp > after), key=_ts))
        offer(builder, deduper, resets, ev)
        now = T0.timestamp() + max(e[1] for e in evs) * 60 + 30
        expected = [b for b in build_blocks(list(deduper), now, cost, resets) if not b.is_gap]
        assert view(builder.blocks(now)) == view(expected)


@settings(max_examples=1000, deadline=None)
# Found by hypothesis: a notice written at the clock's time (after it, for a later clock)
# still ends the open block; it stays open until then.
@example([(0, 0, 1, "a", 0), (1, 0, 303, "a", 0), (1, 301, 1, "a", 0)], False, [301])
# Found by hypothesis: a response read late, older than the clock, meets only the notices
# written before it (closing by the clock weighed those up to the clock).
@example(
    [(0, 0, 1, "a", 1)] * 3 + [(1, 289, 1, "a", 0), (0, 0, 1, "a", 2), (0, 289, 1, "a", 0)],
    False,
    [290],
)
@given(events, st.booleans(), st.lists(st.integers(0, 60 * 26), min_size=1, max_size=8))
def test_settling_by_the_clock_changes_no_block(
    evs: list[Event], forward: bool, clocks: list[int]
) -> None:
    """A block the clock has ended is closed early (the block cache stores it); whatever
    arrives later, older lines included, the blocks stay the from-scratch ones."""
    if forward:
        evs = sorted(evs, key=lambda ev: ev[1])
    builder = BlockBuilder(cost)
    deduper, resets = Deduper(), list[ResetNotice]()
    now = T0.timestamp() + max(e[1] for e in evs) * 60 + 30
    for i, ev in enumerate(evs):
        offer(builder, deduper, resets, ev)
        builder.settle(T0.timestamp() + clocks[i % len(clocks)] * 60)
        expected = [b for b in build_blocks(list(deduper), now, cost, resets) if not b.is_gap]
        assert view(builder.blocks(now)) == view(expected)
