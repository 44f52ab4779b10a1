"""The report start-up bench runs every report in both trees and prints a row for each."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.builders import assistant, write_jsonl

REPO = Path(__file__).resolve().parents[2]


def _worktrees() -> list[str]:
    listed = subprocess.run(["git", "-C", str(REPO), "worktree", "list"], capture_output=True)
    return listed.stdout.decode().splitlines()


def test_it_prints_wall_and_cpu_for_every_report_in_both_trees(tmp_path: Path) -> None:
    before = _worktrees()
    data = tmp_path / "claude"
    write_jsonl(data / "projects" / "p" / "s.jsonl", [assistant("m1", 5), assistant("m2", 7)])
    done = subprocess.run(
        [sys.executable, "-m", "scripts.bench_report_start", "--data", str(data), "--runs", "1"],
        cwd=REPO, capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    lines = done.stdout.splitlines()
    assert lines[0].startswith("1 runs each, baseline HEAD")
    rows = [line.split() for line in lines[2:]]
    assert len(rows) == 20  # 10 commands x (baseline, current)
    assert [r[0] for r in rows[::2]][:2] == ["status", "blocks"]
    for row in rows:
        wall_med, wall_min, cpu_med, cpu_min = map(float, row[-4:])
        assert 0 < wall_min <= wall_med and 0 < cpu_min <= cpu_med
    assert _worktrees() == before  # the baseline tree is removed again
