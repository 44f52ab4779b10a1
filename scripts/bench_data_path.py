"""Benchmark the data path: what each question costs once the ledger holds the history.

Usage: ``python scripts/bench_data_path.py --keep DIR [--size-mb 1000] [--repeat 3]``

On a generated data set (``--keep DIR`` is reused when it already holds one; ``--days``
spreads a new one over that many days), with a private ledger and no config file:

1. first scan: ``status --json`` on an empty ledger (and ``ccusage blocks --offline`` on
   the same data with ``--ccusage``, where ``npx`` can run it);
2. one new line: before each run one complete response is appended to the newest
   session (the normal state while Claude Code runs), then ``status``, ``blocks``,
   ``sessions`` or ``daily`` (all ``--json``) runs: wall time and peak RSS;
3. restart, nothing new: the same commands again with no new bytes;
4. the live view (``watch --json``) on the filled ledger: time to its first snapshot,
   and its RSS then and once caught up.

Every figure is the median of ``--repeat`` runs; ``status`` totals are checked against
the generator's ``expected.json``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # sibling scripts, not a package
import bench_live
import gen_data

COMMANDS = ("status", "blocks", "sessions", "daily")


def prepare(data_dir: Path, size_mb: float, seed: int, days: int) -> None:
    """Generate the data set unless data_dir already holds one."""
    if (data_dir / "expected.json").is_file():
        size = sum(p.stat().st_size for p in (data_dir / "projects").rglob("*.jsonl"))
        print(f"data: reusing {data_dir} ({size / gen_data.MiB:.0f} MiB)", flush=True)
        return
    gen_data.SPAN_DAYS = days  # the generator's module constant: how many days of work
    t0 = time.perf_counter()
    exp = gen_data.generate(data_dir, size_mb, seed)
    print(f"data: generated {exp.stats['bytes'] / gen_data.MiB:.0f} MiB over {days} days, "
          f"{exp.responses} responses in {time.perf_counter() - t0:.1f} s", flush=True)  # fmt: skip


def append_one(data_dir: Path, seed: int) -> None:
    """One complete new response on the newest session; expected.json follows."""
    target = gen_data.main_session_files(data_dir)[-1]
    added = gen_data.append_responses(target, 1, seed=seed)
    exp = gen_data.read_expected(data_dir)
    exp.merge(added)
    gen_data.write_expected(data_dir, exp)


TIME = Path("/usr/bin/time")  # GNU time


def run_cmd(name: str, data_dir: Path, env: dict[str, str], timeout: float) -> bench.Run:
    """One report command to its end; exits on failure (a figure of a failed run is no figure).

    Peak RSS comes from GNU time around the command: `ru_maxrss` of a child forked from
    this (larger) process would count the pages it shared before its exec.
    """
    cmd = [*bench.engine_command(), name, "--json", "--data-dir", str(data_dir)]
    wrap = TIME.exists()
    run = bench.measure([str(TIME), "-f", "%M", *cmd] if wrap else cmd, env, timeout)
    if run.code != 0:
        sys.exit(f"{name} failed (exit {run.code}): {bench.tail(run.stderr or run.stdout)}")
    if wrap:
        lines = run.stderr.decode(errors="replace").strip().splitlines()
        run.rss_kib = int(lines[-1])  # time's last line: the command's own peak, KiB
    return run


def fig(runs: list[bench.Run]) -> str:
    """`median s / median peak MiB` of runs."""
    wall = statistics.median(r.wall for r in runs)
    rss = statistics.median(r.rss_kib for r in runs) / 1024
    return f"{wall:6.3f} s  {rss:6.0f} MiB"


def live(data_dir: Path, ledger: Path, work: Path, repeat: int, timeout: float) -> list[str]:
    """Start `watch --json` on the filled ledger `repeat` times: first snapshot and RSS."""
    expected = gen_data.read_expected(data_dir).responses
    firsts, rss_first, rss_caught = [], [], []
    for _ in range(repeat):
        child = bench_live.Child(data_dir, ledger, work)
        first = child.wait_for(lambda a: True, timeout)
        if first is None:
            sys.exit(f"watch gave no snapshot: {child.stderr_tail()}")
        firsts.append(first.t - child.t_spawn)
        rss_first.append(child.rss_mb())
        child.wait_for(lambda a: a.responses == expected, timeout)
        time.sleep(1.0)  # let the catch-up settle before reading RSS
        rss_caught.append(child.rss_mb())
        child.stop()
    med = statistics.median
    return [
        f"{'watch: first snapshot':34} {med(firsts):6.3f} s  {med(rss_first):6.0f} MiB (RSS then)",
        f"{'watch: RSS caught up':34} {'':8}  {med(rss_caught):6.0f} MiB",
    ]


def ccusage(data_dir: Path, timeout: float) -> str:
    """ccusage's `blocks --offline` once on the same data, or why it did not run."""
    found, info = bench.ccusage_available(timeout=120)
    if not found:
        return f"ccusage: skipped ({info})"
    npx = shutil.which("npx") or "npx"
    env = dict(os.environ, CLAUDE_CONFIG_DIR=str(data_dir))
    run = bench.measure([npx, bench.CCUSAGE, "blocks", "--json", "--offline"], env, timeout)
    return f"{'ccusage blocks --offline':34} {fig([run])}"


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--keep", type=Path, required=True, help="data dir (generated if empty)")
    ap.add_argument("--size-mb", type=float, default=1000.0)
    ap.add_argument("--days", type=int, default=gen_data.SPAN_DAYS)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument("--ccusage", action="store_true", help="also time ccusage's first scan")
    ap.add_argument("--no-live", action="store_true", help="skip the watch start-up")
    args = ap.parse_args(argv)
    prepare(args.keep, args.size_mb, args.seed, args.days)
    work = Path(tempfile.mkdtemp(prefix="tm-bench-path-"))
    try:
        ledger = work / "ledger.db"
        env = dict(os.environ, TOKEN_MONITOR_DB=str(ledger))
        env["TOKEN_MONITOR_CONFIG"] = str(work / "no-such-config.yaml")
        env.pop("CLAUDE_CONFIG_DIR", None)
        rows = []
        first = run_cmd("status", args.keep, env, args.timeout)
        expected = orjson.loads((args.keep / "expected.json").read_bytes())
        rows.append(f"{'first scan (status, empty ledger)':34} {fig([first])}  "
                    f"{bench.check_totals(first, expected)}")  # fmt: skip
        if args.ccusage:
            rows.append(ccusage(args.keep, args.timeout))
        for phase in ("one new line", "nothing new"):
            for name in COMMANDS:
                runs = []
                for i in range(args.repeat):
                    if phase == "one new line":
                        append_one(args.keep, seed=int(time.time() * 1000) + i)
                    runs.append(run_cmd(name, args.keep, env, args.timeout))
                check = ""
                if name == "status":
                    exp = orjson.loads((args.keep / "expected.json").read_bytes())
                    check = bench.check_totals(runs[-1], exp)
                rows.append(f"{name + ', ' + phase:34} {fig(runs)}  {check}")
                print(rows[-1], flush=True)
        if not args.no_live:
            rows += live(args.keep, ledger, work, args.repeat, args.timeout)
        print(
            f"\n{'measure (median of ' + str(args.repeat) + ')':34} {'wall':>8}  {'peak RSS':>10}"
        )
        print("\n".join(rows))
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
