"""scripts/bench_statusline.py: a tiny smoke run (a few status lines on a 1 MB history)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts import bench_statusline as bench


def test_p99_is_nearest_rank() -> None:
    assert bench._p99([float(i) for i in range(1, 101)]) == 99.0
    assert bench._p99([3.0]) == 3.0


def test_smoke_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--runs", "3", "--size-mb", "1", "--keep", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if line.startswith(("plain", "busy", "no "))]
    assert [r[0] for r in rows] == ["plain", "busy", "no"]  # after the python baseline
    assert all(0 < float(r[-4]) < 5000 for r in rows)
    assert (tmp_path / "state" / "rate-limits.jsonl").stat().st_mode & 0o777 == 0o600
