"""Hypothesis invariants of counting and blocks."""

from __future__ import annotations

import itertools
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import assistant, entry, progress_copy, write_jsonl
from tray_app.adapters.discovery import Roots
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.scanner import Engine
from tray_app.usage.blocks import build_blocks
from tray_app.usage.dedup import dedupe
from tray_app.usage.model import Entry
from tray_app.usage.parse import extract

# A response: id, final output, input, minutes; copies stream output up to the final value.
responses = st.lists(
    st.tuples(st.integers(0, 30), st.integers(1, 500), st.integers(0, 50), st.integers(0, 3000)),
    min_size=1,
    max_size=25,
    unique_by=lambda r: r[0],
)


def _lines(resps: list[tuple[int, int, int, int]], data: st.DataObject) -> list[dict[str, object]]:
    lines: list[dict[str, object]] = []
    for rid, out, inp, minutes in resps:
        steps = sorted([*data.draw(st.lists(st.integers(1, out), max_size=3)), out])
        for o in steps:
            line = assistant(f"msg_{rid}", o, input_tokens=inp, minutes=minutes)
            lines.append(line if not data.draw(st.booleans()) else progress_copy(line))
    return lines


def _totals(entries: list[Entry]) -> tuple[int, int, int, int]:
    return (
        len(entries),
        sum(e.input_tokens for e in entries),
        sum(e.output_tokens for e in entries),
        sum(e.total_tokens for e in entries),
    )


def _expected(resps: list[tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
    return (
        len(resps),
        sum(r[2] for r in resps),
        sum(r[1] for r in resps),
        sum(r[1] + r[2] for r in resps),
    )


@given(responses, st.data())
def test_totals_invariant_under_line_order(
    resps: list[tuple[int, int, int, int]], data: st.DataObject
) -> None:
    lines = _lines(resps, data)
    shuffled = data.draw(st.permutations(lines))
    for order in (lines, shuffled):
        entries = [x for x in map(extract, order) if isinstance(x, Entry)]
        assert _totals(dedupe(entries)) == _expected(resps)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(responses, st.data(), st.integers(1, 4))
def test_totals_invariant_under_file_split_order_and_duplicated_files(
    resps: list[tuple[int, int, int, int]], data: st.DataObject, n_files: int
) -> None:
    lines = _lines(resps, data)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "projects"
        chunks = [lines[i::n_files] for i in range(n_files)]
        for i, chunk in enumerate(chunks):
            f = write_jsonl(root / "p" / f"s{i}.jsonl", chunk)  # type: ignore[arg-type]
            mtime = data.draw(st.integers(1_000, 2_000))
            os.utime(f, (mtime, mtime))
        if data.draw(st.booleans()):
            dup = write_jsonl(root / "copy" / "dup.jsonl", lines)  # type: ignore[arg-type]
            os.utime(dup, (1500, 1500))
        db = Path(tmp) / "l.db"
        engine = Engine(Roots((root,)), Ledger.open(db))
        engine.refresh()
        assert _totals(list(engine.entries)) == _expected(resps)
        # Replaying the same files into the ledger changes nothing.
        for path in root.rglob("*.jsonl"):
            path.touch()
        replay = Engine(Roots((root,)), Ledger.open(db))
        before = sorted(replay.entries, key=lambda e: e.key)
        result = replay.refresh(validate=True)  # validate: read every file from the start
        assert result.changes == []
        assert sorted(replay.entries, key=lambda e: e.key) == before
        assert sorted(Ledger.open(db).load_entries(), key=lambda e: e.key) == [e for e in before]


@given(
    st.lists(st.floats(0, 60 * 24 * 20, allow_nan=False), min_size=1, max_size=60),
    st.floats(0, 60 * 24 * 25),
)
def test_blocks_never_overlap_and_cover_every_response(
    minutes: list[float], now_min: float
) -> None:
    entries = [entry(m, 10, key=f"k{i}") for i, m in enumerate(minutes)]
    # `now` is never before the newest response (the clock does not run backwards).
    now = max(e.timestamp for e in entries) + now_min * 60
    blocks = build_blocks(entries, now, lambda e: 0.0)
    real = [b for b in blocks if not b.is_gap]
    for a, b in itertools.pairwise(real):
        assert a.end <= b.start
    for b in blocks:
        assert b.start < b.end
    for gap in (b for b in blocks if b.is_gap):
        # docs/counting-rules.md: a gap runs from the previous response + 5 h to the next response.
        before = max(e.timestamp for e in entries if e.timestamp < gap.start)
        after = min(e.timestamp for e in entries if e.timestamp >= gap.start)
        assert (gap.start, gap.end) == (before + 5 * 3600, after)
    assert sum(b.totals.responses for b in real) == len(entries)
    for e in entries:
        assert sum(1 for b in real if b.start <= e.timestamp <= b.end) >= 1
    assert sum(1 for b in blocks if b.is_active) <= 1
