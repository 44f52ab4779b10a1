"""The real Claude Code transcripts give exactly the published totals."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.builders import REAL_FIXTURES
from tray_app.adapters.discovery import Roots
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.scanner import Engine

REAL = REAL_FIXTURES
UUID = "4d5611e5-241a-462a-8d15-5122611a9569"

pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason=f"real fixtures absent: {REAL}")

# files (relative to REAL), responses, input, output, cache write, cache read
TABLE = [
    (["spotter/short.jsonl"], 1, 3, 13, 13_835, 11_515),
    (["spotter/tool_heavy.jsonl"], 4, 54, 212, 17_696, 88_231),
    (["spotter/subagent.jsonl"], 17, 1_600, 1_593, 40_127, 522_629),
    ([f"spotter/{UUID}.jsonl", f"spotter/{UUID}"], 152, 233, 28_899, 559_475, 12_387_553),
    (["spotter"], 174, 1_890, 30_717, 631_133, 13_009_928),
    (["agentlogs"], 20, 83, 2_592, 39_994, 271_295),
]


def stage(tmp_path: Path, parts: list[str]) -> Path:
    """Copy one set into its own dir (each set is read on its own)."""
    root = tmp_path / "projects"
    for part in parts:
        src = REAL / part
        dst = root / Path(part).name
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            root.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    return root


def sums(engine: Engine) -> tuple[int, int, int, int, int]:
    es = list(engine.entries)
    return (
        len(es),
        sum(e.input_tokens for e in es),
        sum(e.output_tokens for e in es),
        sum(e.cache_creation_tokens for e in es),
        sum(e.cache_read_tokens for e in es),
    )


@pytest.mark.parametrize(("parts", "n", "inp", "out", "cw", "cr"), TABLE)
def test_spec_table(
    tmp_path: Path, parts: list[str], n: int, inp: int, out: int, cw: int, cr: int
) -> None:
    root = stage(tmp_path, parts)
    engine = Engine(Roots((root,)))
    engine.refresh()
    assert sums(engine) == (n, inp, out, cw, cr)


def test_spec_table_through_the_ledger_twice(tmp_path: Path) -> None:
    root = stage(tmp_path, ["spotter"])
    db = tmp_path / "l.db"
    Engine(Roots((root,)), Ledger.open(db)).refresh()
    again = Engine(Roots((root,)), Ledger.open(db))
    assert again.refresh().stats.bytes_read == 0
    assert sums(again) == (174, 1_890, 30_717, 631_133, 13_009_928)


def test_first_wins_rule_would_give_the_wrong_output(tmp_path: Path) -> None:
    from tray_app.usage import dedup

    root = stage(tmp_path, ["spotter"])
    mp = pytest.MonkeyPatch()

    # First-wins: a later copy never beats the first one (it may only move the time).
    def first_wins(old: tuple[Any, ...], new: tuple[Any, ...]) -> tuple[Any, ...] | None:
        return (old[0], new[1], *old[2:]) if new[1] < old[1] else None

    mp.setattr(dedup, "merge_row", first_wins)
    try:
        engine = Engine(Roots((root,)))
        engine.refresh()
        assert sums(engine)[2] == 8_695  # the published figure for the wrong rule
    finally:
        mp.undo()


def test_spotter_1h_cache_writes(tmp_path: Path) -> None:
    engine = Engine(Roots((stage(tmp_path, ["spotter/short.jsonl"]),)))
    engine.refresh()
    (e,) = engine.entries
    assert (e.cache_1h_tokens, e.cache_5m_tokens) == (13_835, 0)
