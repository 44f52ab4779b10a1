"""Which ledger files this process has open through SQLite, so nothing else opens them.

SQLite guards a WAL database with POSIX (fcntl) locks, and those belong to the process,
not to a descriptor: closing ANY descriptor of the file drops every lock the process holds
on it (https://sqlite.org/howtocorrupt.html §2.2). A second `Ledger.open` in the tray (the
model, budget or dashboard threads) read the header with `open()`; its close silently
dropped the aggregator's shared lock, so the next process to close the ledger (any CLI
command) believed it was the last user, checkpointed and deleted the -wal file — and every
later write of the tray went into that deleted file, invisible to all others until the
tray exited. `identify` therefore never reads a file listed here.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections import Counter
from typing import Any

# (device, inode, real path): the path too, because a file deleted while a connection still
# lists it frees its inode, and a new file elsewhere (someone else's) may get the same one.
Inode = tuple[int, int, str]
_open: Counter[Inode] = Counter()  # -> connections open in this process
_lock = threading.Lock()


def in_use(path: str | os.PathLike[str], st: os.stat_result) -> bool:
    """Whether this process has `path` (whose stat is `st`) open through SQLite."""
    with _lock:
        return (st.st_dev, st.st_ino, os.path.realpath(path)) in _open


class TrackedConnection(sqlite3.Connection):
    """An SQLite connection (peewee opens one per thread) that lists its file while open."""

    def __init__(self, database: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._held: Inode | None = None
        try:
            st = os.stat(database)
        except OSError:
            return  # (nothing to guard: identify finds no file either)
        self._held = (st.st_dev, st.st_ino, os.path.realpath(database))
        with _lock:
            _open[self._held] += 1

    def close(self) -> None:
        """Close, then unlist the file (a connection never closed stays listed: safe)."""
        try:
            super().close()
        finally:
            held, self._held = self._held, None
            if held is not None:
                with _lock:
                    _open[held] -= 1
                    if _open[held] <= 0:
                        del _open[held]
