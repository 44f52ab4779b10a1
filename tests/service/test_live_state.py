"""The live state applied change by change equals grouping everything from scratch."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.builders import T0, entry
from tray_app.service.live_state import LiveState
from tray_app.usage.blocks import Block, build_blocks
from tray_app.usage.dedup import Deduper
from tray_app.usage.model import Entry, ResetNotice


def cost(e: Entry) -> float:
    return e.total_tokens / 1000


def view(blocks: list[Block]) -> list[tuple[object, ...]]:
    return [
        (b.start, b.end, b.first_activity, b.last_activity, b.totals, b.is_active, b.is_gap,
         {m.model: m.totals for m in b.models})
        for b in blocks
    ]  # fmt: skip


# Batches of responses: (minutes after T0, tokens, model, key, session); keys repeat →
# replacements (larger or earlier copies); key -1 is a reset notice `tokens` minutes later.
batches = st.lists(
    st.lists(
        st.tuples(st.integers(0, 60 * 30), st.integers(1, 900), st.sampled_from("ab"),
                  st.integers(-1, 40), st.sampled_from("xy")),
        min_size=1, max_size=8,
    ),
    min_size=1, max_size=12,
)  # fmt: skip


def spans(state: LiveState) -> dict[str, tuple[float, float]]:
    return {sid: (s.first, s.last) for sid, s in state.sessions.items() if s.acc.responses}


@settings(max_examples=300, deadline=None)
# Found by CI: a response earlier than the open block's first one, then one that opens a
# new block, must still move the end of the idle gap before the (now finished) block.
@example([[(0, 1, "a", 3, "x"), (710, 1, "a", 2, "x")],
          [(709, 1, "a", 0, "x"), (1009, 1, "a", 1, "x")]], False)  # fmt: skip
# Found by hypothesis: an earlier copy moves the open block's only response to within 5 h
# of the block before, so the idle gap between them must go.
@example([[(0, 1, "a", 1, "x"), (301, 1, "a", 0, "x")], [(289, 1, "a", 0, "x")]], False)
# Found by hypothesis: a session's newest response moves earlier twice in one batch.
@example([[(0, 1, "a", 0, "x"), (2, 1, "a", 1, "x")], [(1, 1, "a", 1, "x"), (0, 1, "a", 1, "x")]],
         False)  # fmt: skip
@given(batches, st.booleans())
def test_incremental_equals_from_scratch(
    batches: list[list[tuple[int, int, str, int, str]]], forward: bool
) -> None:
    deduper = Deduper()
    state = LiveState(cost)
    now = T0.timestamp()
    state.load([], [], now)
    clock = 0
    resets: list[ResetNotice] = []
    for batch in batches:
        if forward:  # mostly in time order, as live data is
            batch = sorted(batch)
        changes, notices = [], []
        for minutes, tokens, model, key, session in batch:
            clock = max(clock, minutes)
            at = T0.timestamp() + minutes * 60
            if key < 0:
                notices.append(ResetNotice(at, at + tokens * 60))
                continue
            change = deduper.offer(entry(minutes, tokens, key=f"k{key}", model=model,
                                         output=tokens, session=session))  # fmt: skip
            if change is not None:
                changes.append(change)
        resets += notices
        now = T0.timestamp() + clock * 60 + 30
        state.apply(changes, notices, now, lambda t: [e for e in deduper if e.timestamp > t])
        expected = build_blocks(list(deduper), now, cost, resets)
        assert view(state.blocks) == view(expected)
        assert state.total.build() == expected_totals(deduper)
        every = list(deduper)
        truth = {sid: (min(e.timestamp for e in every if e.session_id == sid),
                       max(e.timestamp for e in every if e.session_id == sid))
                 for sid in {e.session_id for e in every}}  # fmt: skip
        assert spans(state) == truth
        assert state.last_update == max((e.timestamp for e in every), default=None)


def expected_totals(deduper: Deduper) -> object:
    from tray_app.usage.reports import totals_of

    totals = totals_of(list(deduper), cost)
    return totals.__class__(totals.input_tokens, totals.output_tokens,
                            totals.cache_creation_tokens, totals.cache_read_tokens,
                            None if totals.cost_usd is None else round(totals.cost_usd, 9),
                            totals.responses)  # fmt: skip
