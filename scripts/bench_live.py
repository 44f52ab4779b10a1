"""Live-engine benchmark: start-up, write-to-snapshot latency, idle CPU and RSS (not a test).

Usage: ``python -m scripts.bench_live [--quick] [--size-mb 1000] [--keep DIR] [--seconds 20]``

The engine runs in its own process, ``token-monitor watch --json --data-dir DIR`` with a
temporary ledger (``TOKEN_MONITOR_DB``) and no config file; a reader thread here stamps
each NDJSON snapshot line on arrival (``time.perf_counter``). Phases:

1. start-up with an empty ledger (full scan), SIGTERM; again with the ledger filled;
2. complete new responses (one line each, a fresh ``message.id``, timestamp = now,
   one ``write()`` on an ``O_APPEND`` descriptor, so nothing is left in a buffer) appended
   to the newest session file at each ``--rates`` rate for ``--seconds``; the latency of
   one response is from just before its write to the first snapshot line whose
   ``totals.responses`` includes it;
3. idle CPU of the child over ``--idle-seconds`` (``/proc/<pid>/stat`` utime + stime);
4. a soak of ``--soak-seconds`` of appends at ``--soak-rate`` with the child's VmRSS
   sampled every ``--sample-seconds``;
5. SIGTERM: the child must exit 0 within 10 s.

With ``--keep DIR`` the history is generated there once and reused (its expected.json is
updated with what the benchmark appends); otherwise it lives in a temporary dir.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import orjson

from scripts import gen_data

TICK = os.sysconf("SC_CLK_TCK")
P50_MS, P99_MS, IDLE_PCT, RSS_MB, SLOPE_MB_MIN = 20.0, 100.0, 0.5, 120.0, 0.5
STOP_SECONDS = 10.0
Row = tuple[str, str, str, str]  # measure, figure, target, verdict


# ---- the engine process ---------------------------------------------------------------------


@dataclass(slots=True)
class Arrival:
    """One NDJSON snapshot line as it reached the benchmark."""

    t: float  # perf_counter at arrival
    responses: int
    output_tokens: int


class Child:
    """`token-monitor watch --json` in its own process, its stdout read on a thread."""

    def __init__(self, data_dir: Path, ledger: Path, work: Path) -> None:
        exe = Path(sys.executable).with_name("token-monitor")
        env = dict(os.environ)
        env["TOKEN_MONITOR_DB"] = str(ledger)
        env["TOKEN_MONITOR_CONFIG"] = str(work / "no-such-config.yaml")
        self.stderr_path = work / f"child-{time.monotonic_ns()}.err"
        self._stderr: IO[bytes] = open(self.stderr_path, "wb")  # noqa: SIM115
        self.arrivals: list[Arrival] = []
        self.bad_lines = 0
        self._cond = threading.Condition()
        self.t_spawn = time.perf_counter()
        self.proc = subprocess.Popen(
            [str(exe), "watch", "--json", "--data-dir", str(data_dir)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
        )
        self._reader = threading.Thread(target=self._read, name="ndjson-reader", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        """The engine's process id."""
        return self.proc.pid

    def _read(self) -> None:
        """Stamp each line first, then parse it (the stamp is what is measured)."""
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            t = time.perf_counter()
            try:
                totals = orjson.loads(line)["totals"]
                arrival = Arrival(t, int(totals["responses"]), int(totals["output_tokens"]))
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                self.bad_lines += 1
                continue
            with self._cond:
                self.arrivals.append(arrival)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, pred: Callable[[Arrival], bool], timeout: float) -> Arrival | None:
        """The first arrival (old or new) satisfying pred, or None on timeout/exit."""
        deadline = time.perf_counter() + timeout
        seen = 0
        with self._cond:
            while True:
                for a in self.arrivals[seen:]:
                    if pred(a):
                        return a
                seen = len(self.arrivals)
                left = deadline - time.perf_counter()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    return None
                self._cond.wait(min(left, 0.5))

    def wait_quiet(self, quiet: float, timeout: float) -> Arrival | None:
        """Wait until no line has arrived for `quiet` seconds; return the last one."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline and self.proc.poll() is None:
            last = self.last
            since = time.perf_counter() - (last.t if last else self.t_spawn)
            if last is not None and since >= quiet:
                return last
            time.sleep(min(0.1, max(0.01, quiet - since)))
        return self.last

    @property
    def last(self) -> Arrival | None:
        """The newest arrival."""
        with self._cond:
            return self.arrivals[-1] if self.arrivals else None

    def cpu_ticks(self) -> int:
        """utime + stime of the whole process (all threads), in clock ticks."""
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        return int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5)

    def rss_mb(self) -> float:
        """VmRSS in MiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> tuple[int | None, float]:
        """SIGTERM; return (exit code or None if it outlived STOP_SECONDS, seconds taken)."""
        t0 = time.perf_counter()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc: int | None = self.proc.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            rc = None
            self.proc.kill()
            self.proc.wait()
        dt = time.perf_counter() - t0
        self._reader.join(5)
        self._stderr.close()
        return rc, dt

    def stderr_tail(self, n: int = 5) -> str:
        """The last lines the child wrote to stderr."""
        lines = self.stderr_path.read_text(errors="replace").splitlines()
        return "\n".join(lines[-n:])


# ---- appending --------------------------------------------------------------------------------


class Appender:
    """Appends one complete single-line response per call to a session file."""

    def __init__(self, path: Path, base_responses: int, base_output: int) -> None:
        self.path = path
        last = gen_data.last_context(path)
        self.head = b'"isSidechain":false,"userType":"external","cwd":%s,"sessionId":%s,' % (
            orjson.dumps(last["cwd"]),
            orjson.dumps(last["sessionId"]),
        )
        self.head += b'"version":%s,"gitBranch":%s' % (
            orjson.dumps(last.get("version", "2.1.39")),
            orjson.dumps(last.get("gitBranch", "main")),
        )
        self.parent = str(last["uuid"]).encode()
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        self.count = 0
        self.target_responses = base_responses
        self.target_output = base_output
        self.added = gen_data.Expected()

    def _line(self, out: int) -> bytes:
        """A finished response (end_turn, final usage) as Claude Code writes it."""
        u = str(uuid.uuid4()).encode()
        mid = b"msg_01" + uuid.uuid4().hex[:22].encode()
        req = b"req_011C" + uuid.uuid4().hex[:20].encode()
        usage = gen_data.U_BREAKDOWN % (3, 120, 40_000, 0, 120) + gen_data.U_TAIL_NEW % out
        block = gen_data.B_TEXT % b"bench_live response"
        msg = gen_data.T_MSG % (gen_data.OPUS.encode(), mid, block, b'"end_turn"', usage, b"")
        ts = gen_data.ts_bytes(int(time.time() * 1000))
        line = gen_data.T_ASSISTANT % (self.parent, self.head, msg, req, u, ts)
        self.parent = u
        self.added.add(gen_data.OPUS, 3, out, 0, 120, 40_000)
        return bytes(line)

    def append(self) -> tuple[float, int]:
        """Write one response; return (perf_counter just before the write, target count)."""
        self.count += 1
        out = 200_000 + self.count  # unique and large: unmistakable in output_tokens
        line = self._line(out)
        t = time.perf_counter()
        os.write(self.fd, line)  # one syscall on O_APPEND: nothing buffered to flush
        self.target_responses += 1
        self.target_output += out
        return t, self.target_responses

    def close(self) -> None:
        """Close the file."""
        os.close(self.fd)


# ---- measurements -----------------------------------------------------------------------------


@dataclass
class Startup:
    """Start-up timings of one child."""

    first_s: float | None
    first_responses: int | None  # 0 with an empty ledger; the history with a filled one
    caught_up_s: float | None
    responses: int | None
    expected: int
    rss_mb: float


@dataclass
class Latency:
    """Write-to-snapshot latencies of one rate."""

    rate: float
    ms: list[float]
    sent: int
    lost: int
    achieved_rate: float


@dataclass
class Soak:
    """RSS over a soak of appends, and their latencies."""

    samples: list[tuple[float, float]] = field(default_factory=list)  # (seconds, MiB)
    latency: Latency | None = None

    def slope_mb_per_min(self) -> float:
        """Least-squares slope of RSS over time."""
        n = len(self.samples)
        if n < 2:
            return 0.0
        mx = sum(t for t, _ in self.samples) / n
        my = sum(m for _, m in self.samples) / n
        sxx = sum((t - mx) ** 2 for t, _ in self.samples)
        sxy = sum((t - mx) * (m - my) for t, m in self.samples)
        return sxy / sxx * 60 if sxx else 0.0


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (nan when empty)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def measure_startup(child: Child, expected: int, timeout: float) -> Startup:
    """Time to the first snapshot and to the one holding the whole history."""
    first = child.wait_for(lambda a: True, timeout)
    # The engine publishes the ledger's figures first, then again after its catch-up scan:
    # caught up is the first later snapshot holding the whole history.
    full = child.wait_for(lambda a: a is not first and a.responses == expected, timeout)
    if full is None:  # counts differ (or a stale expected.json): settle for a quiet stream
        full = child.wait_quiet(2.0, timeout)
        caught = None
    else:
        caught = full.t - child.t_spawn
    return Startup(
        first_s=None if first is None else first.t - child.t_spawn,
        first_responses=None if first is None else first.responses,
        caught_up_s=caught,
        responses=None if full is None else full.responses,
        expected=expected,
        rss_mb=child.rss_mb(),
    )


def match_latencies(sent: Sequence[tuple[float, int]], arrivals: Sequence[Arrival]) -> list[float]:
    """Per response: ms from its write to the first arrival whose count includes it."""
    out: list[float] = []
    j = 0
    for t_write, target in sent:  # both in order; counts only grow
        while j < len(arrivals) and (arrivals[j].responses < target or arrivals[j].t < t_write):
            j += 1
        if j == len(arrivals):
            break
        out.append((arrivals[j].t - t_write) * 1000)
    return out


def measure_latency(child: Child, app: Appender, rate: float, seconds: float) -> Latency:
    """Append at `rate` per second for `seconds`; latency per response."""
    n = max(1, round(rate * seconds))
    sent: list[tuple[float, int]] = []
    start = time.perf_counter() + 0.05
    for i in range(n):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        sent.append(app.append())
    elapsed = sent[-1][0] - sent[0][0]
    target = sent[-1][1]
    child.wait_for(lambda a: a.responses >= target, 10.0)
    with child._cond:
        arrivals = list(child.arrivals)
    ms = match_latencies(sent, arrivals)
    achieved = (n - 1) / elapsed if elapsed > 0 else float(n)
    return Latency(rate, ms, n, n - len(ms), achieved)


def measure_idle_cpu(child: Child, seconds: float) -> tuple[float, int]:
    """Percent of one core the child used while nothing happened; and snapshots seen."""
    n0 = len(child.arrivals)
    c0, t0 = child.cpu_ticks(), time.perf_counter()
    time.sleep(seconds)
    c1, t1 = child.cpu_ticks(), time.perf_counter()
    return (c1 - c0) / TICK / (t1 - t0) * 100, len(child.arrivals) - n0


def measure_soak(
    child: Child, app: Appender, seconds: float, rate: float, sample_every: float
) -> Soak:
    """Appends at `rate` for `seconds` while VmRSS is sampled on a thread."""
    soak = Soak()
    done = threading.Event()
    t0 = time.perf_counter()

    def sample() -> None:
        while True:
            soak.samples.append((time.perf_counter() - t0, child.rss_mb()))
            if done.wait(sample_every):
                break

    sampler = threading.Thread(target=sample, name="rss-sampler", daemon=True)
    sampler.start()
    soak.latency = measure_latency(child, app, rate, seconds)
    done.set()
    sampler.join()
    soak.samples.append((time.perf_counter() - t0, child.rss_mb()))
    return soak


# ---- report -----------------------------------------------------------------------------------


def _ok(good: bool) -> str:
    return "ok" if good else "MISS"


def _fmt_s(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f} s"


def _lat_row(label: str, lat: Latency) -> Row:
    ms = lat.ms
    p50, p95, p99 = percentile(ms, 50), percentile(ms, 95), percentile(ms, 99)
    fig = f"{p50:.1f} / {p95:.1f} / {p99:.1f} / {max(ms, default=float('nan')):.1f}"
    if lat.lost:
        fig += f" ({lat.lost} of {lat.sent} never seen)"
    good = bool(ms) and p50 <= P50_MS and p99 <= P99_MS and not lat.lost
    return label, fig, f"p50 ≤ {P50_MS:.0f}, p99 ≤ {P99_MS:.0f}", _ok(good)


def print_table(rows: list[Row]) -> None:
    """Aligned columns: measure, figure, target, verdict."""
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


def _load() -> str:
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


# ---- main -------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options (``--quick`` shrinks every phase)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-mb", type=float, default=None, help="history size (default 1000)")
    ap.add_argument("--keep", type=Path, help="generate into / reuse this data dir")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rates", default="1,10,100", help="appends per second, comma-separated")
    ap.add_argument("--seconds", type=float, default=None, help="per rate (default 20)")
    ap.add_argument("--idle-seconds", type=float, default=None, help="default 60")
    ap.add_argument("--soak-seconds", type=float, default=None, help="default 600")
    ap.add_argument("--soak-rate", type=float, default=10.0)
    ap.add_argument("--sample-seconds", type=float, default=None, help="RSS period (10; 3 quick)")
    ap.add_argument("--startup-timeout", type=float, default=900.0)
    ap.add_argument("--quick", action="store_true", help="100 MB, 5 s/rate, 10 s idle, 30 s soak")
    args = ap.parse_args(argv)
    quick = {"size_mb": 100.0, "seconds": 5.0, "idle_seconds": 10.0, "soak_seconds": 30.0}
    quick["sample_seconds"] = 3.0
    full = {"size_mb": 1000.0, "seconds": 20.0, "idle_seconds": 60.0, "soak_seconds": 600.0}
    full["sample_seconds"] = 10.0
    for k, v in (quick if args.quick else full).items():
        if getattr(args, k) is None:
            setattr(args, k, v)
    return args


def prepare(data_dir: Path, size_mb: float, seed: int) -> tuple[gen_data.Expected, float | None]:
    """Reuse data_dir's history if it has expected.json, else generate it; return totals."""
    if (data_dir / "expected.json").exists():
        return gen_data.read_expected(data_dir), None
    print(f"generating {size_mb:.0f} MiB into {data_dir} …", flush=True)
    t0 = time.perf_counter()
    exp = gen_data.generate(data_dir, size_mb=size_mb, seed=seed)
    return exp, time.perf_counter() - t0


def run_startups(
    data_dir: Path, work: Path, expected: int, timeout: float
) -> tuple[Child, list[Row]]:
    """Start on an empty ledger, stop, start again on the filled one; return the running child."""
    rows: list[Row] = []
    ledger = work / "ledger.sqlite"
    for label in ("empty ledger", "filled ledger"):
        child = Child(data_dir, ledger, work)
        st = measure_startup(child, expected, timeout)
        first = _fmt_s(st.first_s)
        if st.first_responses is not None:
            first += f" ({st.first_responses:,} responses)"
        caught = _fmt_s(st.caught_up_s)
        if st.caught_up_s is None:
            caught = f"never: {st.responses} ≠ {st.expected} responses"
        print(f"start-up, {label}: first snapshot {first}, caught up {caught}", flush=True)
        rows.append((f"start-up, {label}: first snapshot", first, "", ""))
        rows.append((f"start-up, {label}: caught up", caught, "", ""))
        if label == "empty ledger":
            rows.append(("RSS caught up, empty ledger", f"{st.rss_mb:.1f} MiB", "", ""))
            rc, dt = child.stop()
            rows.append(_stop_row("SIGTERM after full scan", rc, dt))
            if rc != 0:
                print(child.stderr_tail())
    ok = st.rss_mb <= RSS_MB
    rows.append(
        ("RSS caught up, filled ledger", f"{st.rss_mb:.1f} MiB", f"≤ {RSS_MB:.0f} MiB", _ok(ok))
    )
    return child, rows


def run_live(child: Child, app: Appender, args: argparse.Namespace) -> list[Row]:
    """Latency at each rate, idle CPU, the soak, the final count and the shutdown."""
    rows: list[Row] = []
    for rate in args.rate_list:
        lat = measure_latency(child, app, rate, args.seconds)
        row = _lat_row(f"latency ms at {rate:g}/s p50/p95/p99/max", lat)
        print(
            f"{row[0]}: {row[1]} ({len(lat.ms)} responses, {lat.achieved_rate:.1f}/s achieved)",
            flush=True,
        )
        rows.append(row)
        time.sleep(1.0)
    child.wait_quiet(2.0, 10.0)
    time.sleep(1.5)  # let the ledger flush (flush_seconds = 1) before counting idle CPU
    idle, snaps = measure_idle_cpu(child, args.idle_seconds)
    print(f"idle CPU over {args.idle_seconds:g} s: {idle:.3f} % ({snaps} snapshots)", flush=True)
    rows.append(
        (
            f"idle CPU ({args.idle_seconds:g} s)",
            f"{idle:.3f} % of a core",
            f"≤ {IDLE_PCT} %",
            _ok(idle <= IDLE_PCT),
        )
    )
    soak = measure_soak(child, app, args.soak_seconds, args.soak_rate, args.sample_seconds)
    rss = [m for _, m in soak.samples]
    slope = soak.slope_mb_per_min()
    appended = soak.latency.sent if soak.latency else 0
    per_resp = (rss[-1] - rss[0]) * 1024 / max(1, appended)  # growth the kept entries explain
    fig = f"{rss[0]:.1f} / {rss[-1]:.1f} / {max(rss):.1f} MiB"
    print(
        f"soak {args.soak_seconds:g} s at {args.soak_rate:g}/s: RSS start/end/max {fig}, "
        f"slope {slope:+.3f} MiB/min",
        flush=True,
    )
    rows.append(("RSS soak start / end / max", fig, f"≤ {RSS_MB:.0f} MiB", _ok(max(rss) <= RSS_MB)))
    rows.append(
        (
            f"RSS slope ({len(rss)} samples, {args.sample_seconds:g} s apart)",
            f"{slope:+.3f} MiB/min ({per_resp:.2f} KiB per response)",
            f"flat (|·| ≤ {SLOPE_MB_MIN})",
            _ok(abs(slope) <= SLOPE_MB_MIN),
        )
    )
    assert soak.latency is not None
    rows.append(_lat_row(f"latency ms in soak at {args.soak_rate:g}/s", soak.latency))
    final = child.wait_for(lambda a: a.responses >= app.target_responses, 10.0)
    counted = final is not None and final.output_tokens == app.target_output
    rows.append(
        (
            "every appended response counted once",
            f"{app.count:,} appended",
            "totals match",
            _ok(counted),
        )
    )
    rc, dt = child.stop()
    rows.append(_stop_row("SIGTERM after soak", rc, dt))
    if rc != 0:
        print(child.stderr_tail())
    if child.bad_lines:
        rows.append(("unparseable NDJSON lines", str(child.bad_lines), "0", "MISS"))
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run every phase and print the figures."""
    args = parse_args(argv)
    args.rate_list = [float(r) for r in args.rates.split(",") if r.strip()]
    load_start = _load()
    print(f"load average at start: {load_start} ({os.cpu_count()} cores)", flush=True)
    work = Path(tempfile.mkdtemp(prefix="bench_live-"))
    data_dir = args.keep.resolve() if args.keep else work / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = [("measure", "figure", "target", "")]
    child: Child | None = None
    app: Appender | None = None
    try:
        exp, gen_s = prepare(data_dir, args.size_mb, args.seed)
        made = "" if gen_s is None else f" (generated in {gen_s:.1f} s)"
        size = exp.stats.get("bytes", 0) / 2**20
        print(f"history: {size:.0f} MiB, {exp.responses:,} responses{made}", flush=True)
        child, startup_rows = run_startups(data_dir, work, exp.responses, args.startup_timeout)
        rows += startup_rows
        base = child.last
        if base is None:
            print("the engine printed nothing:\n" + child.stderr_tail())
            return 1
        target = gen_data.main_session_files(data_dir)[-1]
        app = Appender(target, base.responses, base.output_tokens)
        rows += run_live(child, app, args)
    finally:
        if child is not None and child.proc.poll() is None:
            child.stop()
        if app is not None:
            app.close()
            if args.keep:  # keep expected.json true for the next run on this dir
                exp.merge(app.added)
                gen_data.write_expected(data_dir, exp)
        shutil.rmtree(work, ignore_errors=True)
    rows.append(("load average start → end", f"{load_start} → {_load()}", "", ""))
    print()
    print_table(rows)
    return 0


def _stop_row(label: str, rc: int | None, dt: float) -> Row:
    fig = f"exit {rc} in {dt:.2f} s" if rc is not None else f"still running after {dt:.0f} s"
    return label, fig, f"exit 0 ≤ {STOP_SECONDS:.0f} s", _ok(rc == 0)


if __name__ == "__main__":
    raise SystemExit(main())
