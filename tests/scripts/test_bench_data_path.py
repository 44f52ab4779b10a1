"""scripts/bench_data_path.py: the clean-up mirror deletes what Claude Code would."""

from __future__ import annotations

import os
from pathlib import Path

from scripts import bench_data_path, gen_data


def test_mirror_then_clean_up_keeps_the_data_set_and_deletes_old_files(tmp_path: Path) -> None:
    src = tmp_path / "src"
    gen_data.SPAN_DAYS = 40
    try:
        gen_data.generate(src, size_mb=1.0, seed=3)
    finally:
        gen_data.SPAN_DAYS = 25
    before = {p: p.stat().st_mtime for p in (src / "projects").rglob("*.jsonl")}
    into = bench_data_path.mirror(src, tmp_path / "mirror")
    target = gen_data.main_session_files(into)[-1]
    original = src / target.relative_to(into)
    assert not os.path.samefile(target, original)  # the appended file is a copy
    kept, deleted = bench_data_path.clean_up(into, 20)
    left = {p.relative_to(into) for p in (into / "projects").rglob("*.jsonl")}
    end = max(t for p, t in before.items() if p != original)
    kept_now = {p for p, t in before.items() if t >= end - 20 * 86400 or p == original}
    assert {p.relative_to(src) for p in kept_now} == left
    assert (kept, deleted) == (len(left), len(before) - len(left)) and deleted > 0
    assert set(before) == set((src / "projects").rglob("*.jsonl"))  # the source is whole
    size = original.stat().st_size
    bench_data_path.append_one(into, seed=1)  # the bench's new lines
    assert original.stat().st_size == size and target.stat().st_size > size
    # Appended today, long after the history ends: the end is still the history's.
    assert bench_data_path.clean_up(into, 20) == (kept, 0)
