"""scripts/bench.py: the first scan is printed next to ccusage's, with the paired ratio."""

from __future__ import annotations

from pathlib import Path

from scripts import bench
from scripts.bench import Phase, Run, first_scan_line


def _runs(*walls: float, rss_mb: float = 100.0) -> list[Run]:
    return [Run(w, int(rss_mb * 1024), w, 0, b"", b"") for w in walls]


def test_ratio_is_the_median_of_paired_runs_against_the_targets() -> None:
    full = Phase("a", runs=_runs(3.0, 4.0, 10.0, rss_mb=140))  # the 10 s run met a busy box
    cc = Phase("cc", runs=_runs(4.0, 4.0, 12.5))
    line = first_scan_line(full, cc)
    # Pairs: 0.75, 1.0, 0.8 -> median 0.8; medians 4.00 s vs 4.00 s.
    assert line == (
        "first scan (empty ledger): 4.00 s vs ccusage 4.00 s = 0.80× ccusage's time "
        "(target ≤ 0.8×: PASS); peak RSS 140 MB (target ≤ 150 MB: PASS)"
    )


def test_without_ccusage_the_scan_and_its_memory_are_still_judged() -> None:
    line = first_scan_line(Phase("a", runs=_runs(5.0, rss_mb=163)), Phase("cc"))
    assert line == (
        "first scan (empty ledger): 5.00 s, peak RSS 163 MB (target ≤ 150 MB: FAIL); "
        "ccusage not run"
    )


def test_warm_reads_every_transcript_once(tmp_path: Path) -> None:
    (tmp_path / "projects" / "p").mkdir(parents=True)
    (tmp_path / "projects" / "p" / "a.jsonl").write_bytes(b"x" * 3_000_000)
    (tmp_path / "projects" / "p" / "b.jsonl").write_bytes(b"y\n")
    (tmp_path / "projects" / "p" / "notes.txt").write_bytes(b"not a transcript")
    assert bench.warm(tmp_path) == 3_000_002
