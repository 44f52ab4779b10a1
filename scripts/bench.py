"""Benchmark the engine (``token-monitor status --json``) on generated Claude Code data.

Usage: ``python -m scripts.bench [--size-mb 1000] [--keep DIR] [--repeat 3] [--no-ccusage]``

Phases, each repeated N times (median, min, max printed):
  (a) full scan with an empty ledger (the first scan),
  (b) restart with nothing new (the ledger of (a) kept),
  (c) restart after 1 MiB of new complete responses was appended to the newest session,
  and, where ``npx ccusage@20.0.24`` runs, ``ccusage blocks --json --offline`` on the same data,
  run right after each first scan (alternating, so both see the same machine load).
The last lines print the first scan next to ccusage's time, the ratio (median of the
paired runs) and issue 9's targets: ≤ 0.8× ccusage's time, ≤ 150 MB peak RSS.

Measured per run: wall time, and peak RSS = ``ru_maxrss`` from ``os.wait4`` on the child,
i.e. the largest resident set of the child or of any descendant it waited for (a maximum
over processes, not the sum of processes alive at once; for npx that is the largest of npm
and node). The engine's JSON ``totals`` are checked against ``expected.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from scripts import gen_data

CCUSAGE = "ccusage@20.0.24"
TARGET_RATIO = 0.8  # first scan / ccusage's scan (issue 9)
TARGET_RSS_MB = 150.0
CHECKED = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens")


@dataclass
class Run:
    """One measured child process."""

    wall: float
    rss_kib: int
    cpu: float
    code: int
    stdout: bytes
    stderr: bytes


@dataclass
class Phase:
    """The runs of one benchmark phase and what was checked."""

    name: str
    runs: list[Run] = field(default_factory=list)
    check: str = ""
    error: str = ""


def engine_command() -> list[str]:
    """`token-monitor` next to this Python, else `python -m tray_app`."""
    exe = Path(sys.executable).parent / "token-monitor"
    if exe.is_file() and os.access(exe, os.X_OK):
        return [str(exe)]
    return [sys.executable, "-m", "tray_app"]


def measure(cmd: list[str], env: dict[str, str], timeout: float) -> Run:
    """Run cmd to the end; wall time, peak RSS and CPU of it and its reaped descendants."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        try:
            proc = subprocess.Popen(
                cmd,
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        except OSError as e:
            return Run(0.0, 0, 0.0, 127, b"", f"cannot run {cmd[0]}: {e}".encode())
        timer = threading.Timer(timeout, _kill_group, (proc.pid,))
        timer.start()
        try:
            _pid, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stderr = err.read()
        if code == -signal.SIGKILL:
            stderr += f"\n(killed after the {timeout:g} s timeout)".encode()
        return Run(wall, usage.ru_maxrss, usage.ru_utime + usage.ru_stime, code, out.read(), stderr)


def _kill_group(pid: int) -> None:
    """Kill the process group of a child this script started (timeout)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def tail(data: bytes, n: int = 300) -> str:
    """The last line(s) of output, on one line."""
    text = data.decode("utf-8", "replace").strip()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return (" | ".join(lines[-3:]) or "(no output)")[-n:]


def check_totals(run: Run, expected: dict[str, Any]) -> str:
    """OK, or MISMATCH with the differing fields, from the engine's JSON totals."""
    try:
        totals = orjson.loads(run.stdout)["totals"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return f"MISMATCH (no JSON totals in the output: {tail(run.stdout, 120)})"
    diffs = [
        f"{k} {totals.get(k)} != {expected[k]}" for k in CHECKED if totals.get(k) != expected[k]
    ]
    if "responses" in totals and totals["responses"] != expected["responses"]:
        note = ""
        if totals["responses"] == expected["responses"] + expected.get("synthetic_responses", 0):
            note = " (counts the <synthetic> error lines as responses)"
        diffs.append(f"responses {totals['responses']} != {expected['responses']}{note}")
    return "OK" if not diffs else "MISMATCH: " + "; ".join(diffs)


def run_engine_phase(
    phase: Phase,
    repeat: int,
    env: dict[str, str],
    data_dir: Path,
    timeout: float,
    before_each: Any = None,
    after_each: Any = None,
) -> bool:
    """Measure the engine `repeat` times; False (with phase.error) if it fails."""
    cmd = [*engine_command(), "status", "--json", "--data-dir", str(data_dir)]
    for _ in range(repeat):
        if before_each:
            before_each()
        run = measure(cmd, env, timeout)
        if run.code != 0:
            phase.error = f"FAILED (exit {run.code}): {tail(run.stderr or run.stdout)}"
            return False
        phase.runs.append(run)
        if after_each:
            after_each()
        expected = orjson.loads((data_dir / "expected.json").read_bytes())
        verdict = check_totals(run, expected)
        if not phase.check or phase.check == "OK":
            phase.check = verdict
    return True


def ccusage_available(timeout: float) -> tuple[bool, str]:
    """Whether `npx -y ccusage@20.0.24 --version` works (one try, with a timeout)."""
    npx = shutil.which("npx")
    if not npx:
        return False, "npx not found"
    try:
        res = subprocess.run(
            [npx, "-y", CCUSAGE, "--version"],
            capture_output=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False, f"`npx -y {CCUSAGE} --version` timed out after {timeout:g} s (no network?)"
    if res.returncode != 0:
        return False, f"`npx -y {CCUSAGE} --version` failed: {tail(res.stderr or res.stdout)}"
    return True, res.stdout.decode().strip()


def ccusage_totals(run: Run) -> dict[str, int] | None:
    """Token sums over ccusage's non-gap blocks (for information)."""
    try:
        blocks = orjson.loads(run.stdout)["blocks"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return None
    sums = dict.fromkeys(CHECKED, 0)
    names = {
        "input_tokens": "inputTokens",
        "output_tokens": "outputTokens",
        "cache_creation_tokens": "cacheCreationInputTokens",
        "cache_read_tokens": "cacheReadInputTokens",
    }
    for b in blocks:
        if b.get("isGap"):
            continue
        for k, name in names.items():
            sums[k] += int(b.get("tokenCounts", {}).get(name, 0))
    return sums


def spread(values: list[float], fmt: str) -> str:
    """`median (min–max)` of values."""
    if not values:
        return "-"
    med = statistics.median(values)
    return f"{fmt % med} ({fmt % min(values)}–{fmt % max(values)})"


def prepare_data(args: argparse.Namespace, work: Path) -> Path:
    """Generate the data (or reuse --keep DIR when it already holds a data set)."""
    data_dir = Path(args.keep) if args.keep else work / "data"
    if (data_dir / "expected.json").is_file() and (data_dir / "projects").is_dir():
        size = sum(p.stat().st_size for p in (data_dir / "projects").rglob("*.jsonl"))
        print(f"data: reusing {data_dir} ({size / gen_data.MiB:.0f} MiB)")
        return data_dir
    if (data_dir / "projects").exists():
        sys.exit(f"{data_dir}/projects exists without expected.json; remove it first")
    t0 = time.perf_counter()
    end = time.time() // 3600 * 3600  # recent data: the last block can be active
    exp = gen_data.generate(data_dir, args.size_mb, args.seed, end)
    dt = time.perf_counter() - t0
    mib = exp.stats["bytes"] / gen_data.MiB
    print(
        f"data: generated {mib:.0f} MiB, {exp.stats['files']} files, {exp.responses} responses "
        f"in {dt:.1f} s ({mib / dt:.0f} MiB/s) -> {data_dir}"
    )
    return data_dir


def warm(data_dir: Path) -> int:
    """Read every transcript once: both tools then start from the page cache (this machine
    pages out file cache it deems cold, and a first scan read from disk took 5-15 s)."""
    total = 0
    for path in sorted(data_dir.rglob("*.jsonl")):
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                total += len(chunk)
    return total


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-mb", type=float, default=1000.0, help="data size in MiB")
    ap.add_argument("--keep", metavar="DIR", help="generate into DIR and keep it (or reuse it)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per phase")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--append-mb", type=float, default=1.0, help="new data before phase (c)")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per run")
    ap.add_argument("--no-ccusage", action="store_true", help="skip the ccusage comparison")
    args = ap.parse_args(argv)
    repeat = max(1, args.repeat)

    work = Path(tempfile.mkdtemp(prefix="tm-bench-"))
    try:
        data_dir = prepare_data(args, work)
        t0 = time.perf_counter()
        size = warm(data_dir)
        print(f"page cache: read {size / gen_data.MiB:.0f} MiB in {time.perf_counter() - t0:.1f} s")
        ledger = work / "ledger" / "ledger.db"
        ledger.parent.mkdir()
        env = dict(os.environ)
        env.update(
            TOKEN_MONITOR_DB=str(ledger),
            TOKEN_MONITOR_CONFIG=str(work / "no-such-config.yaml"),
        )
        env.pop("CLAUDE_CONFIG_DIR", None)
        print(f"engine: {' '.join(engine_command())} status --json --data-dir {data_dir}")

        def wipe_ledger() -> None:
            for p in ledger.parent.iterdir():
                p.unlink()

        def add_data() -> None:
            gen_data.append(data_dir, int(args.append_mb * gen_data.MiB), seed=args.seed)

        phases = [
            Phase("engine (a) full scan, empty ledger"),
            Phase("engine (b) restart, nothing new"),
            Phase(f"engine (c) restart, +{args.append_mb:g} MiB appended"),
        ]
        cc = Phase(f"ccusage {CCUSAGE[8:]} blocks --offline")
        run_cc = None
        if args.no_ccusage:
            cc.error = "skipped (--no-ccusage)"
        else:
            found, info = ccusage_available(timeout=180)
            if not found:
                cc.error = f"skipped: {info}"
            else:
                cenv = dict(os.environ, CLAUDE_CONFIG_DIR=str(data_dir))
                ccmd = [shutil.which("npx") or "npx", CCUSAGE, "blocks", "--json", "--offline"]

                def run_cc() -> None:
                    if cc.error:
                        return
                    run = measure(ccmd, cenv, args.timeout)
                    if run.code != 0:
                        cc.error = f"FAILED (exit {run.code}): {tail(run.stderr or run.stdout)}"
                    else:
                        cc.runs.append(run)

        hooks = [(wipe_ledger, run_cc), (None, None), (add_data, None)]
        ok = True
        for phase, (before, after) in zip(phases, hooks, strict=True):
            if not ok:
                phase.error = "skipped (the engine failed above)"
            else:
                also = " (each followed by one ccusage run)" if after else ""
                print(f"running {phase.name} ×{repeat}{also} …", flush=True)
                ok = run_engine_phase(phase, repeat, env, data_dir, args.timeout, before, after)
            if phase.error:
                print(f"  {phase.error}")
        if cc.runs:
            sums = ccusage_totals(cc.runs[-1])
            exp = orjson.loads((data_dir / "expected.json").read_bytes())
            if sums is not None:
                diffs = [f"{k} {sums[k]} vs {exp[k]}" for k in CHECKED if sums[k] != exp[k]]
                cc.check = "(info) totals " + ("= expected" if not diffs else "differ: ")
                cc.check += "; ".join(diffs)
        if cc.error:
            print(f"  ccusage: {cc.error}")

        report([*phases, cc], phases[0], cc)
        return 0 if all(not p.error or p.error.startswith("skipped") for p in phases) else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)  # the ledger, and the data unless --keep


def report(phases: list[Phase], full: Phase, cc: Phase) -> None:
    """The final compact table."""
    print()
    head = f"{'phase':40} {'runs':>4}  {'wall s: median (min–max)':28} {'peak RSS MiB':22} check"
    print(head)
    print("-" * len(head))
    for p in phases:
        walls = [r.wall for r in p.runs]
        rss = [r.rss_kib / 1024 for r in p.runs]
        check = p.check if p.runs else p.error
        print(
            f"{p.name:40} {len(p.runs):>4}  {spread(walls, '%.2f'):28} "
            f"{spread(rss, '%.0f'):22} {check}"
        )
    print()
    print(first_scan_line(full, cc))
    print("peak RSS = ru_maxrss of the child via os.wait4 (largest single process of its tree)")


def first_scan_line(full: Phase, cc: Phase) -> str:
    """The first scan next to ccusage's, the ratio and issue 9's targets."""
    if not full.runs:
        return "first scan: not measured"
    wall = statistics.median(r.wall for r in full.runs)
    rss = statistics.median(r.rss_kib for r in full.runs) / 1024
    mem = f"peak RSS {rss:.0f} MB (target ≤ {TARGET_RSS_MB:.0f} MB: "
    mem += ("PASS" if rss <= TARGET_RSS_MB else "FAIL") + ")"
    if not cc.runs:
        return f"first scan (empty ledger): {wall:.2f} s, {mem}; ccusage not run"
    cc_wall = statistics.median(r.wall for r in cc.runs)
    # Paired: each first scan against the ccusage run right after it (same load).
    ratio = statistics.median(a.wall / b.wall for a, b in zip(full.runs, cc.runs, strict=False))
    verdict = "PASS" if ratio <= TARGET_RATIO else "FAIL"
    return (
        f"first scan (empty ledger): {wall:.2f} s vs ccusage {cc_wall:.2f} s = {ratio:.2f}× "
        f"ccusage's time (target ≤ {TARGET_RATIO}×: {verdict}); {mem}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
