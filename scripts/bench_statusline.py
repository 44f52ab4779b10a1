"""Status-line benchmark: start-to-exit time of `token-monitor statusline` (not a test).

Usage: ``python -m scripts.bench_statusline [--runs 200] [--size-mb 200] [--keep DIR]``

Claude Code runs the status-line command on every update; the target is ≤ 50 ms p99 from
spawn to exit. Set-up: a generated history of ``--size-mb`` read into a real ledger
(``token-monitor status`` with ``TOKEN_MONITOR_DB``), a spool with thousands of earlier
captures, the app's state file, and a chained previous command for one phase. Phases:

0. ``python baseline``: the same interpreter printing one line (the floor);
1. ``plain``: the recorded input with ``rate_limits`` (a capture is appended each run);
2. ``busy ledger``: the same while another process holds an exclusive SQLite lock on the
   ledger (the status line never opens it, so it must not wait);
3. ``no rate_limits``: an API-key user's input;
4. ``chained``: with a previous status-line command (``true``) run on the same stdin.

Each run is one ``subprocess`` of the installed console script, timed with
``time.perf_counter`` around spawn → exit; medians (p50) and p99 are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scripts import gen_data
from tray_app.adapters.spool_files import write_json

P99_MS = 50.0
ROOT = Path(__file__).resolve().parent.parent


def _script() -> str:
    found = shutil.which("token-monitor", path=str(Path(sys.executable).parent))
    return found or "token-monitor"


def _payload(rate_limits: bool) -> bytes:
    now = time.time()
    body: dict[str, object] = {
        "session_id": "0b6c3a52-7d0e-4b9e-9d7a-2f1e0c9a8b11",
        "transcript_path": "/home/u/.claude/projects/-home-u-proj/0b6c3a52.jsonl",
        "cwd": "/home/u/proj",
        "model": {"id": "claude-opus-4-5", "display_name": "Opus"},
        "version": "2.1.97",
        "cost": {"total_cost_usd": 1.2345, "total_duration_ms": 456789},
        "context_window": {"used_percentage": 8, "context_window_size": 200000},
    }
    if rate_limits:
        body["rate_limits"] = {
            "five_hour": {"used_percentage": 23.5, "resets_at": now + 7200},
            "seven_day": {"used_percentage": 41.2, "resets_at": now + 3 * 86400},
        }
    return json.dumps(body).encode()


def _time_runs(
    runs: int, stdin: bytes, env: dict[str, str], cmd: list[str] | None = None
) -> list[float]:
    cmd = cmd or [_script(), "statusline"]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(cmd, input=stdin, env=env, capture_output=True, check=False)
        times.append((time.perf_counter() - started) * 1000)
        if done.returncode != 0 or not done.stdout.strip():
            raise SystemExit(f"statusline failed: {done.returncode} {done.stderr!r}")
    return times


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    """Build the fixture, time each phase, print p50/p99 against the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--size-mb", type=float, default=200.0)
    parser.add_argument("--keep", type=Path, help="reuse/keep the generated data here")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-statusline-"))
    data, state = work / "claude", work / "state"
    state.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "TOKEN_MONITOR_DB": str(state / "ledger.sqlite3"),
           "TOKEN_MONITOR_CONFIG": str(work / "none.yaml")}  # fmt: skip
    if not (data / "expected.json").exists():
        print(f"generating {args.size_mb:g} MB of history in {data} …", flush=True)
        gen_data.generate(data, size_mb=args.size_mb, seed=1)
    if not (state / "ledger.sqlite3").exists():
        print("filling the ledger (token-monitor status) …", flush=True)
        subprocess.run([_script(), "status", "--data-dir", str(data)], env=env, check=True,
                       capture_output=True)  # fmt: skip
    ledger_mb = (state / "ledger.sqlite3").stat().st_size / 1e6
    now = time.time()
    spool = state / "rate-limits.jsonl"
    if not spool.exists():  # earlier captures: the status line only ever appends
        line = {"t": now, "o": "statusline", "sid": "s", "model": "m",
                "rl": {"five_hour": {"used_percentage": 1.0, "resets_at": now}}}  # fmt: skip
        spool.touch(mode=0o600)  # as private as the status line's own
        spool.write_text((json.dumps(line) + "\n") * 5000)
    block = {"tokens": 1_234_567, "percent": 63.0, "source": "p90", "resets_at": now + 3600,
             "end": now + 3600, "tokens_per_minute": 12_345.0}  # fmt: skip
    write_json(
        str(state / "statusline-state.json"), {"published_at": now, "block": block, "limits": []}
    )
    rows = []
    # The interpreter alone (same venv, same site-packages): the floor under every phase.
    python = [sys.executable, "-c", "print(1)"]
    rows.append(("python baseline", _time_runs(args.runs, b"", env, python)))
    rows.append(("plain", _time_runs(args.runs, _payload(True), env)))
    lock = sqlite3.connect(state / "ledger.sqlite3", isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        rows.append(("busy ledger", _time_runs(args.runs, _payload(True), env)))
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    rows.append(("no rate_limits", _time_runs(args.runs, _payload(False), env)))
    setup = {"previous": {"type": "command", "command": "true"}}
    (state / "statusline.json").write_text(json.dumps(setup))
    rows.append(("chained (true)", _time_runs(args.runs, _payload(True), env)))
    (state / "statusline.json").unlink()
    print(f"\nledger {ledger_mb:.0f} MB, {args.runs} runs per phase, target p99 ≤ {P99_MS:g} ms")
    print(f"{'phase':<16} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  verdict")
    for name, times in rows:
        p50, p99 = statistics.median(times), _p99(times)
        verdict = "ok" if p99 <= P99_MS or name.startswith(("chained", "python")) else "OVER"
        print(f"{name:<16} {p50:>8.1f} {p99:>8.1f} {max(times):>8.1f}  {verdict}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
