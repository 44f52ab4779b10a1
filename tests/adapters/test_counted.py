"""Counting against the ledger: a refresh looks up only the keys it reads, never all history."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import assistant, progress_copy, ts, write_jsonl
from tray_app.adapters.discovery import Roots
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.scanner import Engine

T0 = datetime.fromisoformat(ts(0)).timestamp()


def _counted(db: Path) -> dict[str, tuple[int, int, float, str]]:
    ledger = Ledger.open(db)
    try:
        return {
            e.message_id: (e.output_tokens, e.input_tokens, e.timestamp, e.session_id)
            for e in ledger.load_entries()
        }
    finally:
        ledger.close()


def _no_full_load(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Ledger) -> None:
        raise AssertionError("counting loaded every response")

    monkeypatch.setattr(Ledger, "load_entries", refuse)


def test_a_new_line_on_a_filled_ledger_is_counted_without_loading_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, db = tmp_path / "projects", tmp_path / "l.db"
    f = write_jsonl(root / "p" / "s.jsonl", [assistant(f"m{i}", 10 + i) for i in range(50)])
    Engine(Roots((root,)), Ledger.open(db)).refresh()
    write_jsonl(f, [assistant("m3", 99, minutes=1), assistant("m7", 2), assistant("new", 5)], "a")
    _no_full_load(monkeypatch)
    engine = Engine(Roots((root,)), Ledger.open(db))
    result = engine.refresh()
    # m3 grows (looked up by key), m7's smaller copy changes nothing, `new` is new.
    assert [(c.old and c.old.output_tokens, c.new.output_tokens) for c in result.changes] == [
        (13, 99),
        (None, 5),
    ]
    assert result.stats.new_responses == 1 and result.stats.replaced == 1
    assert len(engine.counted.recent) == 0  # written: nothing of the history stays in memory
    monkeypatch.undo()
    counted = _counted(db)
    assert len(counted) == 51
    assert counted["m3"][:2] == (99, 3) and counted["m7"][0] == 17 and counted["new"][0] == 5


def test_unwritten_changes_are_part_of_entries(tmp_path: Path) -> None:
    root, db = tmp_path / "projects", tmp_path / "l.db"
    f = write_jsonl(root / "p" / "s.jsonl", [assistant("a", 5), assistant("b", 6)])
    Engine(Roots((root,)), Ledger.open(db)).refresh()
    write_jsonl(f, [assistant("a", 50), assistant("c", 7)], "a")
    engine = Engine(Roots((root,)), Ledger.open(db))
    engine.refresh(persist=False)  # the live service batches its writes
    assert engine.unflushed
    assert sorted((e.message_id, e.output_tokens) for e in engine.entries) == [
        ("a", 50),
        ("b", 6),
        ("c", 7),
    ]
    assert {k: v[0] for k, v in _counted(db).items()} == {"a": 5, "b": 6}
    engine.flush()
    assert {k: v[0] for k, v in _counted(db).items()} == {"a": 50, "b": 6, "c": 7}


# A response: id, final output, input, minutes of its first copy.
responses = st.lists(
    st.tuples(st.integers(0, 25), st.integers(1, 400), st.integers(0, 40), st.integers(0, 900)),
    min_size=1,
    max_size=20,
    unique_by=lambda r: r[0],
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(responses, st.data())
def test_any_order_of_appends_restarts_and_replays_gives_the_truth(
    resps: list[tuple[int, int, int, int]], data: st.DataObject
) -> None:
    # Copies stream output up to the final value; a later copy may carry a later time.
    lines = []
    truth: dict[str, tuple[int, int, float]] = {}
    for rid, out, inp, minutes in resps:
        steps = sorted([*data.draw(st.lists(st.integers(1, out), max_size=3)), out])
        times = [minutes + data.draw(st.integers(0, 30)) for _ in steps]
        for o, m in zip(steps, times, strict=True):
            line = assistant(f"msg_{rid}", o, input_tokens=inp, minutes=m)
            lines.append(line if not data.draw(st.booleans()) else progress_copy(line))
        truth[f"msg_{rid}"] = (out, inp, T0 + min(times) * 60)  # the earliest copy's time
    order = data.draw(st.permutations(lines))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(order)), max_size=4)))
    with tempfile.TemporaryDirectory() as tmp:
        root, db = Path(tmp) / "projects", Path(tmp) / "l.db"
        main = root / "p" / "s.jsonl"
        write_jsonl(main, [])
        start = 0
        for cut in [*cuts, len(order)]:
            write_jsonl(main, order[start:cut], "a")  # type: ignore[arg-type]
            start = cut
            engine = Engine(Roots((root,)), Ledger.open(db))  # a restart each time
            engine.refresh(persist=data.draw(st.booleans()))
            engine.flush()
        if data.draw(st.booleans()):  # a resumed session's copy of everything, read later
            write_jsonl(root / "q" / "dup.jsonl", lines)  # type: ignore[arg-type]
            Engine(Roots((root,)), Ledger.open(db)).refresh()
        replay = Engine(Roots((root,)), Ledger.open(db)).refresh(validate=True)
        assert replay.changes == []
        counted = _counted(db)
    assert {k: v[:3] for k, v in counted.items()} == truth
