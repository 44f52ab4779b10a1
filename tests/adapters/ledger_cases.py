"""Shared pieces of the ledger-safety tests: a filled ledger, a CLI run, a lock holder."""

from __future__ import annotations

import io
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.builders import assistant, write_jsonl
from tray_app.adapters.discovery import find_roots
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.scanner import Engine
from tray_app.cli.environment import Environment
from tray_app.cli.main import main


def transcripts(root: Path, n: int = 2, session: str = "s1", start: int = 0) -> Path:
    """A projects root with one transcript of `n` responses."""
    lines = [assistant(f"msg_{start + i}", 5 + i, session=session, minutes=i) for i in range(n)]
    write_jsonl(root / "p" / f"{session}-{start}.jsonl", lines)
    return root


def filled(root: Path, db: Path, name: str = "refactor") -> Path:
    """A real ledger with the transcripts of `root` counted and session s1 named."""
    ledger = Ledger.open(db)
    Engine(find_roots([str(root)]), ledger).refresh()
    ledger.name_session("s1", name)
    ledger.close()
    return db


def counts(db: Path) -> tuple[int, list[str]]:
    """(responses, session names) straight from the SQLite file."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        n = con.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
        names = [r[0] for r in con.execute("SELECT name FROM sessions WHERE name != ''")]
    con.close()
    return n, names


def cli(args: list[str], db: Path, tmp: Path) -> tuple[int, str, str]:
    """One in-process CLI run against ledger `db`: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    env = Environment(
        out, err, {"TOKEN_MONITOR_DB": str(db), "TOKEN_MONITOR_CONFIG": str(tmp / "none.yaml")}
    )
    code = main(args, env)
    return code, out.getvalue(), err.getvalue()


def siblings(path: Path) -> list[str]:
    """Names next to `path` that start with its name (recoveries, temp files; no -wal/-shm)."""
    return sorted(
        p.name
        for p in path.parent.iterdir()
        if path.name in p.name and not p.name.endswith(("-wal", "-shm"))
    )


HOLD = (
    "import sqlite3, sys\n"
    "con = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
    "con.execute('BEGIN IMMEDIATE')\n"
    "print('held', flush=True)\n"
    "sys.stdin.readline()\n"
    "con.execute('ROLLBACK')\n"
)


@contextmanager
def write_lock(db: Path) -> Iterator[subprocess.Popen[str]]:
    """Another real process holding the ledger's write lock (BEGIN IMMEDIATE) meanwhile."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    assert proc.stdout.readline().strip() == "held"
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.stdin.write("\n")
            proc.stdin.flush()
        proc.wait(10)
