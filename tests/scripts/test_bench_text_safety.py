"""The text-safety benchmark measures the real export path (scripts/bench_text_safety.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from scripts import bench_text_safety as bench

ROOT = Path(__file__).resolve().parents[2]


def test_csv_cells_change_only_hostile_rows() -> None:
    plain, hostile = bench.rows(50, hostile=False), bench.rows(50, hostile=True)
    assert bench.write_csv(plain, safe=True) == bench.write_csv(plain, safe=False)
    assert bench.write_csv(hostile, safe=True) < bench.write_csv(hostile, safe=False)


def test_a_quick_run_prints_every_figure() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scripts.bench_text_safety", "--rows", "200", "--repeat", "1"],
        cwd=ROOT,
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    lines = done.stdout.splitlines()
    assert lines[0] == "rows=200 repeat=1 (medians)"
    assert [line.split()[0] for line in lines[1:]] == ["clean()"] * 3 + ["json_safe()"] * 2 + [
        "CSV"
    ]
