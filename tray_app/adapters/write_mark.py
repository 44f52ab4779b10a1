"""A mark every write of counted responses leaves in the ledger, so a live view can tell
another process's counting from its own writes and from commits that count nothing.

SQLite's `data_version` only says that SOME other connection committed: a CLI run that
counted responses, but also the tray's own dashboard bringing the rollup up to date, an
alert, a report's block cache rows. Each write that changes counted responses or reset
notices replaces the meta row below with a fresh random token in the same transaction (a
token, not a counter: a write that rolls back after being noted can never make a later
writer's mark look like ours). A watched connection remembers the mark of its own last
write, and notices when the mark its write replaced was not the one it had seen.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from tray_app.adapters.ledger_errors import translated

if TYPE_CHECKING:
    from tray_app.adapters.ledger import Ledger

KEY = "responses_written"


class Watch:
    """What one connection knows of the marks (the live view's ledger)."""

    __slots__ = ("others", "seen")

    def __init__(self) -> None:
        self.seen: str | None = None  # the newest mark the live state is known to hold
        self.others = False  # another writer's mark was replaced by one of ours


_watches: WeakKeyDictionary[Ledger, Watch] = WeakKeyDictionary()


def watch(ledger: Ledger) -> Watch:
    """Start noting this connection's own marks (one Watch per connection)."""
    return _watches.setdefault(ledger, Watch())


def stamp(ledger: Ledger) -> None:
    """Inside a write transaction that changes counted responses or resets: a new mark."""
    db: Any = ledger.db  # peewee ships no type hints
    row = db.execute_sql("SELECT value FROM meta WHERE key = ?", (KEY,)).fetchone()
    mark = os.urandom(8).hex()
    db.execute_sql("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (KEY, mark))
    seen = _watches.get(ledger)
    if seen is not None:
        # The transaction holds the write lock: nobody can commit between this read and
        # our commit, so a mark we did not see means someone counted since our last look.
        # No mark at all: nobody wrote one (a new or replaced file); the live state goes on.
        if row is not None and row[0] != seen.seen:
            seen.others = True
        seen.seen = mark


def current(ledger: Ledger) -> str | None:
    """The ledger's mark now (None: nothing counted since marks began)."""
    with translated(ledger.path):
        return ledger.meta(KEY)
