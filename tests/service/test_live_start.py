"""The live view starts from the ledger's aggregates exactly as from every response."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import T0, assistant, entry, write_jsonl
from tray_app.adapters.discovery import Roots
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.prices import load_price_table
from tray_app.adapters.scanner import Engine
from tray_app.service.live_start import start_state
from tray_app.service.live_state import LiveState
from tray_app.usage.dedup import Change
from tray_app.usage.model import Entry

PRICES = load_price_table()
MODELS = ("claude-opus-4-6", "claude-sonnet-4-5", "claude-mystery-9")


def _view(state: LiveState) -> object:
    sessions = {
        sid: (s.acc.build(), s.first, s.last, dict(s.models))
        for sid, s in state.sessions.items()
        if s.acc.responses
    }
    return (
        state.blocks,
        state.total.build(),
        sessions,
        sorted(state.tail),
        state.last_update,
        [round(b.totals.cost_usd, 6) for b in state.blocks],
    )


responses = st.lists(
    st.tuples(
        st.integers(0, 60 * 24 * 5), st.integers(1, 900), st.integers(0, 2), st.integers(0, 3)
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(responses, responses, st.integers(0, 60 * 24))
def test_start_from_aggregates_equals_start_from_every_response(
    history: list[tuple[int, int, int, int]], new: list[tuple[int, int, int, int]], after: int
) -> None:
    with tempfile.TemporaryDirectory() as t:
        root, db = Path(t) / "projects", Path(t) / "l.db"
        f = write_jsonl(root / "p" / "s.jsonl", [
            assistant(f"m{i}", o, minutes=m, model=MODELS[k], session=f"s{s}")
            for i, (m, o, k, s) in enumerate(history)
        ])  # fmt: skip
        Engine(Roots((root,)), Ledger.open(db)).refresh()
        now = T0.timestamp() + (max(m for m, *_ in history + new) + after) * 60
        ledger = Ledger.open(db)
        engine = Engine(Roots((root,)), ledger)
        fast, full = LiveState(PRICES.cost), LiveState(PRICES.cost)
        start_state(fast, engine, ledger, PRICES, now)
        full.load(engine.entries, engine.resets, now)
        assert _view(fast) == _view(full)
        # Then the same changes (new lines anywhere in time, grown copies) on both.
        write_jsonl(f, [
            assistant(f"n{i}", o, minutes=m, model=MODELS[k], session=f"s{s}")
            for i, (m, o, k, s) in enumerate(new)
        ] + [assistant("m0", history[0][1] + 50, minutes=history[0][0])], "a")  # fmt: skip
        result = engine.refresh(persist=False)
        for state in (fast, full):
            state.apply(
                result.changes,
                result.resets,
                now,
                lambda t: [e for e in engine.entries if e.timestamp > t],
            )
        assert _view(fast) == _view(full)
        ledger.close()


def test_start_reads_only_the_open_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, db = tmp_path / "projects", tmp_path / "l.db"
    write_jsonl(
        root / "p" / "s.jsonl", [assistant(f"m{i}", 10, minutes=i * 100) for i in range(60)]
    )
    Engine(Roots((root,)), Ledger.open(db)).refresh()
    now = T0.timestamp() + 59 * 100 * 60 + 60
    warm = Ledger.open(db)
    start_state(LiveState(PRICES.cost), Engine(Roots((root,)), warm), warm, PRICES, now)
    warm.close()  # the caches are built once (the first scan's reports build them too)

    def refuse(self: Ledger) -> None:
        raise AssertionError("the live view loaded every response")

    monkeypatch.setattr(Ledger, "load_entries", refuse)
    ledger = Ledger.open(db)
    state = LiveState(PRICES.cost)
    start_state(state, Engine(Roots((root,)), ledger), ledger, PRICES, now)
    assert state.total.build().responses == 60
    assert len(state.tail) == 3  # the open block's responses only (minutes 5600–5900)
    assert state.blocks[-1].is_active


def test_memory_follows_the_open_block_not_history() -> None:
    state = LiveState(PRICES.cost)
    state.load([], [], T0.timestamp())
    every: list[Entry] = []
    for day in range(30):  # a month of use, one block a day: each closes the one before
        es = [entry(day * 1440 + m, 100, key=f"d{day}m{m}") for m in range(0, 120, 2)]
        every.extend(es)
        now = es[-1].timestamp + 60
        state.apply(
            [Change(None, e) for e in es], [], now, lambda t: [e for e in every if e.timestamp > t]
        )
        state.tick(now)
    assert state.total.build().responses == 30 * 60
    # The open block's responses only (with their prices); the other days are 29 blocks.
    assert len(state.builder.responses()) == 60 and len(state.builder.closed) == 29
