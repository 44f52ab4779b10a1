"""scripts/bench_model.py: a tiny run prints the three medians."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_smoke_run() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scripts.bench_model", "--runs", "5"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    names = [line.split()[0] + (" model" if line.startswith("cli") else "")
             for line in done.stdout.splitlines()]  # fmt: skip
    assert names == ["set_key", "read_layered", "cli model"]
    assert all("median" in line and "ms" in line for line in done.stdout.splitlines())
