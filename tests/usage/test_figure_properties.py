"""Hypothesis invariants of the figures: earliest-copy times, partial costs, rate spans."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from tray_app.usage.blocks import build_blocks
from tray_app.usage.burn import MIN_RATE_SPAN
from tray_app.usage.dedup import dedupe, rank
from tray_app.usage.model import Entry
from tray_app.usage.reports import sessions, sum_totals, totals_of

T = 1_770_000_000.0

# A copy: (response id, seconds after T, output tokens, session).
copies = st.lists(
    st.tuples(st.integers(0, 6), st.floats(0, 20_000), st.integers(0, 50), st.sampled_from("ab")),
    min_size=1,
    max_size=30,
)


def _entry(rid: int, offset: float, output: int, session: str) -> Entry:
    return Entry(f"k{rid}", T + offset, session, "m", input_tokens=1, output_tokens=output)


@given(copies, st.randoms())
def test_counted_time_is_the_earliest_copy_in_any_order(
    raw: list[tuple[int, float, int, str]], rnd: random.Random
) -> None:
    items = [_entry(*c) for c in raw]
    shuffled = list(items)
    rnd.shuffle(shuffled)
    for order in (items, shuffled):
        by_key = {w.key: w for w in dedupe(order)}
        for key, w in by_key.items():
            mine = [e for e in order if e.key == key]
            assert w.timestamp == min(e.timestamp for e in mine)
            assert w.session_id == mine[0].session_id  # attribution stays first-seen
            assert rank(w) == max(rank(e) for e in mine)
    a = {s.session_id: s for s in sessions(dedupe(items), lambda e: 0.0)}
    b = {s.session_id: s for s in sessions(dedupe(shuffled), lambda e: 0.0)}
    firsts = {min(e.timestamp for e in items if e.key == k) for k in {e.key for e in items}}
    assert min(s.first_activity for s in a.values()) == min(firsts)
    assert min(s.first_activity for s in b.values()) == min(firsts)


prices = st.lists(st.one_of(st.none(), st.floats(0, 5)), min_size=1, max_size=20)


@given(prices)
def test_priced_part_is_the_sum_of_known_costs_and_flags_the_rest(
    costs: list[float | None],
) -> None:
    entries = [Entry(f"k{i}", T + i, "s", f"m{i}", input_tokens=10) for i in range(len(costs))]
    price = dict(zip((e.key for e in entries), costs, strict=True))
    t = totals_of(entries, lambda e: price[e.key])
    known = [c for c in costs if c is not None]
    assert abs(t.cost_usd - sum(known)) < 1e-6
    assert t.unpriced_responses == len(costs) - len(known)
    assert t.unpriced_tokens == 10 * t.unpriced_responses
    assert t.cost_complete == (len(known) == len(costs))
    # Adding up parts (as blocks are) gives the same totals as counting them at once.
    cost_of = price.__getitem__
    keyed = [totals_of(part, lambda e: cost_of(e.key)) for part in (entries[:3], entries[3:])]
    s = sum_totals(keyed)
    assert (s.unpriced_responses, s.unpriced_tokens) == (t.unpriced_responses, t.unpriced_tokens)
    assert abs(s.cost_usd - t.cost_usd) < 1e-6


@given(st.lists(st.floats(0, 4 * 3600), min_size=1, max_size=12))
def test_a_rate_exists_only_on_a_long_enough_span(offsets: list[float]) -> None:
    entries = [Entry(f"k{i}", T + o, "s", "m", input_tokens=5) for i, o in enumerate(offsets)]
    (block,) = build_blocks(entries, T + 5 * 3600, lambda e: 1.0)
    span = max(offsets) - min(offsets)
    rate = block.burn_rate()
    assert (rate is not None) == (span >= MIN_RATE_SPAN and len(offsets) >= 2)
    if rate is not None:
        assert rate.tokens_per_minute <= 5 * len(offsets) / (MIN_RATE_SPAN / 60) + 1e-9
