"""Time the block cache's first build (what a first `status` runs after the scan) alone.

Usage: ``python -m scripts.bench_block_cache --data DIR [--ledger FILE] [--repeat 5]``

Without ``--ledger`` a first ``status`` fills a fresh ledger from DIR (private temp dir).
Each run then copies that ledger, empties its block cache (rows, price fingerprint) and
drops the time index, as a ledger right after a first scan has them, and times
``BlockCache.builder`` with ``time.thread_time()`` (the build is one thread of C and
Python; SQLite's sort and index build run in it). Prints the median and every run, and a
digest of the stored blocks and the open block, so two versions can be compared on the
same data: same digest = the same stored rows to the byte.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tray_app.adapters.block_cache import BlockCache
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.prices import load_price_table


def fill(data: Path, work: Path) -> Path:
    """A ledger after a first `status` on `data` (a child process, as a user runs it)."""
    ledger = work / "ledger.db"
    env = dict(os.environ, TOKEN_MONITOR_DB=str(ledger))
    env["TOKEN_MONITOR_CONFIG"] = str(work / "no-such-config.yaml")
    env.pop("CLAUDE_CONFIG_DIR", None)
    cmd = [sys.executable, "-m", "tray_app", "status", "--json", "--data-dir", str(data)]
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return ledger


def build_once(source: Path, work: Path) -> tuple[float, str]:
    """One first build on a copy of `source`: its thread time and the digest of its blocks."""
    copy = work / "run.db"
    shutil.copy(source, copy)
    ledger = Ledger.open(copy)
    try:
        db = ledger.db
        db.execute_sql("DELETE FROM block_cache")
        db.execute_sql("DELETE FROM meta WHERE key = 'block_cache_prices'")
        db.execute_sql("DROP INDEX IF EXISTS responses_ts")
        resets = sorted(ledger.load_resets(), key=lambda r: r.timestamp)
        prices = load_price_table()
        started = time.thread_time()
        builder = BlockCache(ledger, prices, prices.cost).builder(resets)
        took = time.thread_time() - started
        stored = list(db.execute_sql("SELECT * FROM block_cache ORDER BY start"))
        shown = None if builder is None else builder.open_block(2e9)
    finally:
        ledger.close()
    digest = hashlib.sha256(repr((stored, shown)).encode()).hexdigest()[:16]
    return took, f"{len(stored)} blocks stored, digest {digest}"


def main(argv: list[str] | None = None) -> int:
    """Print the first build's thread time (median of the runs) and the stored blocks' digest."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--data", type=Path, help="a Claude Code data dir (scripts.gen_data output)")
    ap.add_argument("--ledger", type=Path, help="a ledger already filled from that data")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    if args.ledger is None and args.data is None:
        ap.error("give --data DIR or --ledger FILE")
    work = Path(tempfile.mkdtemp(prefix="tm-bench-blocks-"))
    try:
        source = args.ledger or fill(args.data, work)
        runs = [build_once(source, work) for _ in range(args.repeat)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    times = [t for t, _ in runs]
    listed = " ".join(f"{t:.3f}" for t in times)
    print(f"block cache first build: thread time median {statistics.median(times):.3f} s "
          f"(runs {listed}); {runs[-1][1]}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
