"""Benchmark the data path: what each question costs once the ledger holds the history.

Usage: ``python -m scripts.bench_data_path --keep DIR [DIR2 ...] [--size-mb 1000] [--repeat 3]``

On each generated data set (``--keep DIR`` is reused when it already holds one; ``--days``
spreads a new one over that many days), with a private ledger and no config file:

1. first scan: ``status --json`` on an empty ledger (and ``ccusage blocks --offline`` on
   the same data with ``--ccusage``, where ``npx`` can run it);
2. one new line: before each run one complete response is appended to the newest
   session (the normal state while Claude Code runs), then every report command runs
   with ``--json`` (status, blocks, sessions, daily, weekly, monthly, models, limits,
   export --period daily; ``export`` of every response is shown, its size is the history):
   wall time and peak RSS;
3. restart, nothing new: the same commands again with no new bytes, then once more as
   printed for a person (tables and text, no ``--json``);
4. the live view (``watch --json``) on the filled ledger: time to its first snapshot,
   and its RSS then and once caught up.

With ``--cleanup-days N`` each set is first counted in full, then the transcripts last
written more than N days before the newest are deleted, as Claude Code's own clean-up
(``cleanupPeriodDays``, 30 by default) does: the history stays in the ledger while the
files on disk cover N days, so a 90-day set shows what a longer history costs. The data
dir itself is not touched: the runs use a mirror of hard links (the file that gets the
new lines is a real copy).

Every figure is the median of ``--repeat`` runs, printed next to issue 9's target
(one new line <= 0.25 s, nothing new <= 0.15 s) with PASS/FAIL; with two or more data
sets (e.g. 1 GB and a 3 GB / 90-day set) the growth from the first to the last is
printed against its target (<= 1.2x). ``status`` totals are checked against the
generator's ``expected.json``.
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

from scripts import bench, bench_live, gen_data

# (label, arguments, whether issue 9's targets apply)
COMMANDS: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    ("status", ("status",), True),
    ("blocks", ("blocks",), True),
    ("sessions", ("sessions",), True),
    ("daily", ("daily",), True),
    ("weekly", ("weekly",), True),
    ("monthly", ("monthly",), True),
    ("models", ("models",), True),
    ("limits", ("limits",), True),
    ("export --period daily", ("export", "--period", "daily"), True),
    # Every response of all history: its output is the history, so no O(result) target.
    ("export (every response)", ("export",), False),
)
NEW_LINE_S, RESTART_S, GROWTH = 0.25, 0.15, 1.2  # issue 9's targets
PHASES = (
    ("one new line", NEW_LINE_S),
    ("nothing new", RESTART_S),
    ("nothing new, as printed", RESTART_S),
)


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


def mirror(data_dir: Path, into: Path) -> Path:
    """A hard-linked copy of data_dir in `into`; the file that gets new lines is copied."""
    for src in data_dir.rglob("*"):
        dst = into / src.relative_to(data_dir)
        if src.is_dir():
            dst.mkdir(parents=True, exist_ok=True)
        elif src.name == "expected.json":
            shutil.copyfile(src, dst)
        else:
            os.link(src, dst)
    target = gen_data.main_session_files(into)[-1]
    copy = target.with_suffix(".copy")
    shutil.copy2(target, copy)  # appends must not reach the shared data set's inode
    os.replace(copy, target)
    return into


def clean_up(data_dir: Path, days: int) -> tuple[int, int]:
    """Delete transcripts last written `days` before the data's end: (kept, deleted).

    The data's end is the newest file but the one new lines go to (earlier runs may
    have appended to it today, long after the generated history ends); that one stays.
    """
    target = gen_data.main_session_files(data_dir)[-1]
    files = [(p.stat().st_mtime, p) for p in (data_dir / "projects").rglob("*.jsonl")]
    end = max(t for t, p in files if p != target)
    old = [p for t, p in files if t < end - days * 86400 and p != target]
    for p in old:
        p.unlink()
    return len(files) - len(old), len(old)


def run_cmd(
    args: tuple[str, ...], data_dir: Path, env: dict[str, str], timeout: float, json: bool = True
) -> bench.Run:
    """One report command to its end; exits on failure (a figure of a failed run is no figure).

    Peak RSS comes from GNU time around the command: `ru_maxrss` of a child forked from
    this (larger) process would count the pages it shared before its exec.
    """
    as_json = ("--json",) if json else ()
    cmd = [*bench.engine_command(), *args, *as_json, "--data-dir", str(data_dir)]
    wrap = TIME.exists()
    run = bench.measure([str(TIME), "-f", "%M", *cmd] if wrap else cmd, env, timeout)
    if run.code != 0:
        sys.exit(f"{' '.join(args)} failed (exit {run.code}): "
                 f"{bench.tail(run.stderr or run.stdout)}")  # fmt: skip
    if wrap:
        lines = run.stderr.decode(errors="replace").strip().splitlines()
        run.rss_kib = int(lines[-1])  # time's last line: the command's own peak, KiB
    return run


def fig(runs: list[bench.Run]) -> str:
    """`median wall s, median CPU s, median peak MiB` of runs.

    CPU time (user + system) is shown beside the wall time: on a shared machine it is the
    steadier figure of what a command costs; the targets are on the wall time.
    """
    wall = statistics.median(r.wall for r in runs)
    cpu = statistics.median(r.cpu for r in runs)
    rss = statistics.median(r.rss_kib for r in runs) / 1024
    return f"{wall:6.3f} s  {cpu:6.3f} s  {rss:6.0f} MiB"


def verdict(ok: bool) -> str:
    """PASS or FAIL."""
    return "PASS" if ok else "FAIL"


def reports(
    data_dir: Path, env: dict[str, str], repeat: int, timeout: float
) -> tuple[list[str], dict[tuple[str, str], tuple[float, float]]]:
    """Every report command after one new line and with nothing new: rows and medians."""
    rows, medians = [], {}
    for phase, target in PHASES:
        for label, args, targeted in COMMANDS:
            runs = []
            for i in range(repeat):
                if phase == "one new line":
                    append_one(data_dir, seed=int(time.time() * 1000) + i)
                runs.append(run_cmd(args, data_dir, env, timeout, json="printed" not in phase))
            wall = statistics.median(r.wall for r in runs)
            medians[label, phase] = (wall, statistics.median(r.cpu for r in runs))
            goal = f"<= {target:.2f} s {verdict(wall <= target)}" if targeted else "(no target)"
            check = ""
            if label == "status" and "printed" not in phase:
                exp = orjson.loads((data_dir / "expected.json").read_bytes())
                check = "  " + bench.check_totals(runs[-1], exp)
            rows.append(f"{label + ', ' + phase:38} {fig(runs)}  {goal}{check}")
            print(rows[-1], flush=True)
    return rows, medians


def growth(
    names: list[str], medians: list[dict[tuple[str, str], tuple[float, float]]]
) -> list[str]:
    """The first data set's medians against the last's, per command and phase."""
    rows = [f"\ngrowth {names[0]} -> {names[-1]} (target <= {GROWTH:.1f}x on the wall time)"]
    for phase, _ in PHASES:
        for label, _args, targeted in COMMANDS:
            (a, ca), (b, cb) = medians[0][label, phase], medians[-1][label, phase]
            ratio = b / a if a else float("inf")
            goal = verdict(ratio <= GROWTH) if targeted else "(no target)"
            cpu = f"CPU {ca:5.3f} -> {cb:5.3f} s {cb / ca if ca else float('inf'):4.2f}x"
            figures = f"{a:6.3f} s -> {b:6.3f} s  {ratio:4.2f}x  ({cpu})"
            rows.append(f"{label + ', ' + phase:38} {figures}  {goal}")
    return rows


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


def one_set(
    data_dir: Path, args: argparse.Namespace
) -> tuple[list[str], dict[tuple[str, str], tuple[float, float]]]:
    """Every figure of one data set (a fresh ledger of its own)."""
    prepare(data_dir, args.size_mb, args.seed, args.days)
    work = Path(tempfile.mkdtemp(prefix="tm-bench-path-"))
    try:
        ledger = work / "ledger.db"
        env = dict(os.environ, TOKEN_MONITOR_DB=str(ledger))
        env["TOKEN_MONITOR_CONFIG"] = str(work / "no-such-config.yaml")
        env.pop("CLAUDE_CONFIG_DIR", None)
        rows = []
        if args.cleanup_days:
            data_dir = mirror(data_dir, work / "data")
        first = run_cmd(("status",), data_dir, env, args.timeout)
        expected = orjson.loads((data_dir / "expected.json").read_bytes())
        rows.append(f"{'first scan (status, empty ledger)':38} {fig([first])}  "
                    f"{bench.check_totals(first, expected)}")  # fmt: skip
        print(rows[-1], flush=True)
        if args.ccusage:
            rows.append(ccusage(data_dir, args.timeout))
        if args.cleanup_days:
            kept, deleted = clean_up(data_dir, args.cleanup_days)
            rows.append(f"clean-up after {args.cleanup_days} days: {kept} transcripts kept, "
                        f"{deleted} deleted (their history stays in the ledger)")  # fmt: skip
            print(rows[-1], flush=True)
        # The first report builds the rollup and caches: not what a report costs after.
        for _label, cmd, _targeted in COMMANDS:
            run_cmd(cmd, data_dir, env, args.timeout)
        more, medians = reports(data_dir, env, args.repeat, args.timeout)
        rows += more
        if not args.no_live:
            rows += live(data_dir, ledger, work, args.repeat, args.timeout)
        return rows, medians
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument(
        "--keep", type=Path, nargs="+", required=True,
        help="data dirs (each generated if empty); two or more: growth first -> last",
    )  # fmt: skip
    ap.add_argument("--size-mb", type=float, default=1000.0)
    ap.add_argument("--days", type=int, default=gen_data.SPAN_DAYS)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument("--ccusage", action="store_true", help="also time ccusage's first scan")
    ap.add_argument(
        "--cleanup-days", type=int, default=0,
        help="after the first scan delete transcripts older than this, as Claude Code does",
    )  # fmt: skip
    ap.add_argument("--no-live", action="store_true", help="skip the watch start-up")
    args = ap.parse_args(argv)
    names, all_rows, all_medians = [], [], []
    for data_dir in args.keep:
        rows, medians = one_set(data_dir, args)
        names.append(data_dir.name)
        all_rows.append(rows)
        all_medians.append(medians)
    for name, rows in zip(names, all_rows, strict=True):
        print(f"\n{'data set ' + name + ' (median of ' + str(args.repeat) + ')':38} "
              f"{'wall':>8}  {'CPU':>8}  {'peak RSS':>10}  target")  # fmt: skip
        print("\n".join(rows))
    if len(names) > 1:
        print("\n".join(growth(names, all_medians)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
