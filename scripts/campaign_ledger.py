"""Attack the ledger with the real CLI: a full tmpfs, a held write lock, kill -9 mid-write.

Usage: ``python -m scripts.campaign_ledger [--trials 5] [--size-mb 4]`` (root for the tmpfs
scenario; without root it is skipped with the reason). Prints one table row per scenario:
trials, responses and session names before vs after (data lost), the exit codes seen, the
distinct first lines of stderr, and what was left next to the ledger (moved-aside copies,
temp files). ``PYTHONPATH=<older checkout>`` runs an older CLI for a before/after figure.

Each trial gets a fresh ledger. "Truth" is the count a clean run on the same transcripts
gives; after a scenario and one clean run more, the ledger must hold the truth and every
name given before.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from scripts import gen_data


@dataclass
class Row:
    """One scenario's tally."""

    name: str
    trials: int = 0
    lost_responses: int = 0  # rows gone compared with before (or the truth at the end)
    lost_names: int = 0
    lossy_trials: int = 0
    codes: collections.Counter[int] = field(default_factory=collections.Counter)
    messages: collections.Counter[str] = field(default_factory=collections.Counter)
    aside: int = 0  # *.corrupt-* files made
    temp_left: int = 0
    not_ok: int = 0  # PRAGMA integrity_check failures
    seconds: list[float] = field(default_factory=list)
    killed_running: int = 0  # kill -9 landed while the command still ran


def cli(args: list[str], db: Path, data: Path, timeout: float = 120) -> tuple[int, str, float]:
    """Run the real CLI: (exit code, first stderr line that is not a debug line, seconds)."""
    env = {**os.environ, "TOKEN_MONITOR_DB": str(db), "TOKEN_MONITOR_CONFIG": "/nonexistent"}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "tray_app", *args, "--data-dir", str(data)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    first = lines[-1] if lines else ""
    return done.returncode, _short(first, db), time.monotonic() - started


def _short(line: str, db: Path) -> str:
    line = line.replace(str(db), "<ledger>").replace(str(db.parent), "<dir>")
    return line.replace("token-monitor: ", "")[:150]


def facts(db: Path) -> tuple[int, set[str], bool]:
    """(responses, named sessions, integrity ok) read without writing anything."""
    if not db.exists():
        return 0, set(), True
    uri = f"file:{db}?immutable=1"
    try:
        con = sqlite3.connect(uri, uri=True)
        n = con.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
        names = {r[0] for r in con.execute("SELECT session_id FROM sessions WHERE name != ''")}
        ok = con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        con.close()
    except sqlite3.Error:
        return 0, set(), False
    return n, names, ok


def leftovers(db: Path) -> tuple[int, int]:
    """(moved-aside copies, temp files) next to the ledger."""
    names = [p.name for p in db.parent.iterdir()]
    aside = sum(
        1 for n in names if n.startswith(f"{db.name}.corrupt-") and not n.endswith(("-wal", "-shm"))
    )
    temp = sum(1 for n in names if n.startswith(f".{db.name}.new-"))
    return aside, temp


def truth(data: Path, work: Path) -> int:
    """Responses a clean first run on `data` stores."""
    ref = work / "reference.db"
    for p in work.glob("reference.db*"):
        p.unlink()
    code, msg, _ = cli(["status"], ref, data)
    assert code == 0, msg
    return facts(ref)[0]


def seed_ledger(db: Path, data: Path, names: int = 2) -> set[str]:
    """A ledger with the transcripts counted and `names` sessions named."""
    code, msg, _ = cli(["status"], db, data)
    assert code == 0, msg
    con = sqlite3.connect(db)
    sids = [r[0] for r in con.execute("SELECT DISTINCT session_id FROM responses LIMIT ?",
                                      (names,))]  # fmt: skip
    con.close()
    for i, sid in enumerate(sids):
        code, msg, _ = cli(["name", sid, f"campaign-{i}"], db, data)
        assert code == 0, msg
    return set(sids)


def tally(row: Row, db: Path, before: tuple[int, set[str]], want: int) -> None:
    """Compare the ledger with what it held before and with the truth."""
    n, names, ok = facts(db)
    lost_r = max(0, before[0] - n, want - n)
    lost_n = len(before[1] - names)
    row.lost_responses += lost_r
    row.lost_names += lost_n
    row.lossy_trials += bool(lost_r or lost_n)
    row.not_ok += not ok
    aside, temp = leftovers(db)
    row.aside += aside
    row.temp_left += temp
    row.trials += 1


def full_disk(trials: int, data: Path, work: Path) -> Row:
    """Ledger on a tiny tmpfs filled to the brim: two commands, then space again."""
    row = Row("full tmpfs (2 commands)")
    mnt = work / "tmpfs"
    mnt.mkdir(exist_ok=True)
    for t in range(trials):
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mnt)],
                              capture_output=True, text=True)  # fmt: skip
        if done.returncode != 0:
            row.messages[f"skipped: cannot mount a tmpfs ({done.stderr.strip()})"] += 1
            return row
        try:
            trial_data = work / f"full-{t}"
            shutil.copytree(data, trial_data)
            db = mnt / "ledger.sqlite3"
            named = seed_ledger(db, trial_data)
            before = (facts(db)[0], named)
            gen_data.append(trial_data, 300_000, seed=t + 1, update_expected=False)
            with open(mnt / "filler", "wb", buffering=0) as handle:
                try:
                    while True:
                        handle.write(b"\0" * 65536)
                except OSError:
                    pass
            for args in (["status"], ["daily"]):
                code, msg, secs = cli(args, db, trial_data)
                row.codes[code] += 1
                row.messages[msg] += 1
                row.seconds.append(secs)
            (mnt / "filler").unlink()
            code, msg, _ = cli(["status"], db, trial_data)  # space again: catches up
            row.codes[code] += 1
            tally(row, db, before, truth(trial_data, work))
            shutil.rmtree(trial_data)
        finally:
            subprocess.run(["umount", "-l", str(mnt)], check=False)
    return row


HOLD = (
    "import sqlite3, sys, time\n"
    "con = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
    "con.execute('BEGIN IMMEDIATE')\n"
    "print('held', flush=True)\n"
    "time.sleep(float(sys.argv[2]))\n"
    "con.execute('ROLLBACK')\n"
)


def held_lock(trials: int, data: Path, work: Path, hold: float) -> Row:
    """Another process holds BEGIN IMMEDIATE for `hold` seconds while `status` must write."""
    row = Row(f"write lock held {hold:g} s")
    for t in range(trials):
        trial_data = work / f"lock-{hold:g}-{t}"
        shutil.copytree(data, trial_data)
        db = work / f"lock-{hold:g}-{t}.db"
        named = seed_ledger(db, trial_data)
        before = (facts(db)[0], named)
        gen_data.append(trial_data, 100_000, seed=t + 1, update_expected=False)
        holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db), str(hold)],
                                  stdout=subprocess.PIPE, text=True)  # fmt: skip
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        code, msg, secs = cli(["status"], db, trial_data)
        holder.wait(60)
        row.codes[code] += 1
        row.messages[msg] += 1
        row.seconds.append(secs)
        code, msg, _ = cli(["status"], db, trial_data)  # lock gone: catches up
        row.codes[code] += 1
        tally(row, db, before, truth(trial_data, work))
        shutil.rmtree(trial_data)
    return row


def _kill_at(cmd: list[str], db: Path, data: Path, delay: float, wait_line: bool) -> bool:
    """Start the CLI, SIGKILL it after `delay` s; whether it was still running then."""
    env = {**os.environ, "TOKEN_MONITOR_DB": str(db), "TOKEN_MONITOR_CONFIG": "/nonexistent"}
    proc = subprocess.Popen([sys.executable, "-m", "tray_app", *cmd, "--data-dir", str(data)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # fmt: skip
    if wait_line and proc.stdout is not None:
        proc.stdout.readline()  # the watch printed its first snapshot
    time.sleep(delay)
    alive = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # reader processes, if any outlived it
    return alive


def killed_first_scan(trials: int, data: Path, work: Path, rng: random.Random) -> Row:
    """kill -9 of a first `status` at a random moment, then a normal run."""
    row = Row("kill -9 first scan")
    want = truth(data, work)
    _, _, full = cli(["status"], work / "timing.db", data)
    for t in range(trials):
        db = work / f"first-{t}.db"
        row.killed_running += _kill_at(["status"], db, data, rng.uniform(0.05, full), False)
        code, msg, _ = cli(["status"], db, data)
        row.codes[code] += 1
        row.messages[msg] += 1
        tally(row, db, (0, set()), want)
    return row


def killed_watch(trials: int, data: Path, work: Path, rng: random.Random) -> Row:
    """kill -9 of a `watch` while transcripts grow, then a normal run."""
    row = Row("kill -9 watch mid-write")
    for t in range(trials):
        trial_data = work / f"watch-{t}"
        shutil.copytree(data, trial_data)
        db = work / f"watch-{t}.db"
        named = seed_ledger(db, trial_data)
        before = (facts(db)[0], named)
        env = {**os.environ, "TOKEN_MONITOR_DB": str(db), "TOKEN_MONITOR_CONFIG": "/nonexistent"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "tray_app", "watch", "--json", "--data-dir", str(trial_data)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        assert proc.stdout is not None
        proc.stdout.readline()
        row.killed_running += 1
        stop_at = time.monotonic() + rng.uniform(0.5, 3.0)
        k = 0
        while time.monotonic() < stop_at:
            gen_data.append(trial_data, 20_000, seed=100 + k, update_expected=False)
            k += 1
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        code, msg, _ = cli(["status"], db, trial_data)
        row.codes[code] += 1
        row.messages[msg] += 1
        tally(row, db, before, truth(trial_data, work))
        shutil.rmtree(trial_data)
    return row


def show(rows: list[Row]) -> None:
    """The table."""
    head = (f"{'scenario':<26} {'trials':>6} {'lossy':>6} {'lost resp':>9} {'lost names':>10} "
            f"{'aside':>5} {'temp':>4} {'bad db':>6}  exit codes")  # fmt: skip
    print(head)
    print("-" * len(head))
    for r in rows:
        codes = ", ".join(f"{c}×{n}" for c, n in sorted(r.codes.items()))
        print(f"{r.name:<26} {r.trials:>6} {r.lossy_trials:>6} {r.lost_responses:>9} "
              f"{r.lost_names:>10} {r.aside:>5} {r.temp_left:>4} {r.not_ok:>6}  "
              f"{codes}")  # fmt: skip
    print("\nmessages (last stderr line of the attacked command, count):")
    for r in rows:
        for msg, n in r.messages.most_common():
            print(f"  [{r.name}] {n}× {msg or '(none)'}")
        if r.killed_running:
            print(f"  [{r.name}] kill -9 landed while it ran in {r.killed_running} trials")
        if r.seconds:
            med = sorted(r.seconds)[len(r.seconds) // 2]
            print(f"  [{r.name}] median seconds of the attacked command: {med:.2f}")


def main(argv: list[str] | None = None) -> int:
    """Run every scenario and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--size-mb", type=float, default=4.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", choices=["full", "lock", "kill", "watch"], action="append")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    only = set(args.only or ["full", "lock", "kill", "watch"])
    with tempfile.TemporaryDirectory(prefix="tm-campaign-") as tmp:
        work = Path(tmp)
        os.chdir(work)  # `python -m` puts the cwd first: PYTHONPATH must pick the CLI
        data = work / "data"
        gen_data.generate(data, size_mb=args.size_mb, seed=args.seed)
        rows: list[Row] = []
        if "full" in only:
            if os.geteuid() == 0:
                rows.append(full_disk(args.trials, data, work))
            else:
                print("full tmpfs: skipped (mounting a tmpfs needs root)")
        if "lock" in only:
            rows.append(held_lock(args.trials, data, work, hold=8.0))
            rows.append(held_lock(args.trials, data, work, hold=1.0))
        if "kill" in only:
            rows.append(killed_first_scan(args.trials, data, work, rng))
        if "watch" in only:
            rows.append(killed_watch(args.trials, data, work, rng))
        show(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
