"""Benchmark what a restart with nothing new costs per transcript file, phase by phase.

Usage: ``python -m scripts.bench_restart DIR [DIR ...] [--repeat 7] [--ledgers DIR]``

Each DIR is a data set (a folder with ``projects/``, e.g. one made by ``scripts.gen_data``).
Its ledger lives in ``--ledgers`` (default: a new private temp dir) and is filled once by a
first scan. Then, ``--repeat`` times, in this process (CPU time of this thread, so other
load on the machine matters less than for wall times):

- listing: ``discovery.scan_transcripts`` (one listing per folder, one stat per file);
- positions: ``Ledger.file_states`` (the stored read position of every file);
- compare: ``scan_plan.plan`` minus its listing (each file against its position);
- engine + refresh: the whole of it as a command runs it (``Engine(...)`` + ``refresh()``);
- floor: a bare ``os.scandir`` walk with ``DirEntry.stat`` over the same tree.

Medians are printed with the cost per file; a run that finds anything to read is an error.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from tray_app.adapters import roots_ledger, scan_plan
from tray_app.adapters.discovery import Roots, find_roots, scan_transcripts
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.scanner import Engine, ScanResult

T = TypeVar("T")


def floor(top: Path) -> int:
    """A bare walk: every `*.jsonl` stat'ed once, nothing else (what no listing beats)."""
    n, stack = 0, [os.fspath(top)]
    while stack:
        with os.scandir(stack.pop()) as listing:
            for entry in listing:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.name.endswith(".jsonl"):
                    entry.stat()
                    n += 1
    return n


def timed(fn: Callable[..., T], *args: Any) -> tuple[float, T]:
    """Thread CPU seconds of one call, and what it returned."""
    t0 = time.thread_time()
    value = fn(*args)
    return time.thread_time() - t0, value


def restart(roots: Roots, ledger: Ledger) -> ScanResult:
    """What a command does before it reports: the engine on the ledger, one refresh."""
    return Engine(roots, ledger).refresh()


def measure(roots: Roots, db: Path, repeat: int) -> dict[str, list[float]]:
    """Per-phase thread times of `repeat` restarts with nothing new."""
    ids = [roots_ledger.root_id(d) for d in roots.dirs]
    out: dict[str, list[float]] = {}
    for _ in range(repeat):
        ledger = Ledger.open(db)
        states = ledger.file_states()
        listing, _ = timed(scan_transcripts, roots, [])
        whole, _ = timed(scan_plan.plan, roots, states, ids, None, False, [])
        engine, result = timed(restart, roots, ledger)
        if result.stats.files_read:
            raise SystemExit(f"{db}: a restart read {result.stats.files_read} files")
        for name, seconds in (
            ("positions", timed(ledger.file_states)[0]),
            ("listing", listing),
            ("compare", max(0.0, whole - listing)),
            ("engine + refresh", engine),
            ("floor (scandir + stat)", sum(timed(floor, d)[0] for d in roots.dirs)),
        ):
            out.setdefault(name, []).append(seconds)
        ledger.close()
    return out


def main(argv: list[str] | None = None) -> int:
    """Fill each set's ledger once, then print the per-phase medians."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dirs", nargs="+", type=Path)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--ledgers", type=Path, default=None)
    args = parser.parse_args(argv)
    ledgers = args.ledgers or Path(tempfile.mkdtemp(prefix="bench_restart_"))
    ledgers.mkdir(mode=0o700, parents=True, exist_ok=True)
    for data in args.dirs:
        roots = find_roots([str(data)])
        db = ledgers / f"{data.name}.db"
        ledger = Ledger.open(db)
        if not ledger.file_states():
            t0 = time.perf_counter()
            Engine(roots, ledger).refresh()
            print(f"{data}: first scan {time.perf_counter() - t0:.1f} s", flush=True)
        files = len(ledger.file_states())
        ledger.close()
        phases = measure(roots, db, args.repeat)
        print(f"{data} ({files:,} files, median of {args.repeat}, thread CPU)")
        for name, times in phases.items():
            med = statistics.median(times)
            print(f"  {name:24s} {med * 1000:7.1f} ms  {med / files * 1e6:5.2f} us/file")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
