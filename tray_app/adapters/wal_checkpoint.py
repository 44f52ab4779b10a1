"""A large write's checkpoint on a thread of its own, after its commit, not inside it.

In write-ahead-log mode SQLite copies the log into the ledger file when a commit leaves more
than 1,000 pages in it: a first scan's one write of 1 GB's responses (~30 MB of pages)
waited ~60 ms in its commit for that copy and its fsync, while the machine's other core
was idle and the command still had its report to work out. Such a write commits with the
automatic checkpoint off, and a thread (with its own connection: LedgerDb connects one per
thread) runs it beside the report. The thread is joined when the ledger closes, and at
exit; a checkpoint that cannot run now (busy) is left to the next one, as SQLite would.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from tray_app.adapters.ledger_errors import translated

if TYPE_CHECKING:
    from tray_app.adapters.ledger import Ledger

log = logging.getLogger(__name__)

AUTO_PAGES = 1000  # SQLite's default wal_autocheckpoint, restored after the write


@contextlib.contextmanager
def after_commit(ledger: Ledger) -> Iterator[None]:
    """Around a write transaction: no checkpoint in its commit; one on a thread after it."""
    if ledger.readonly:  # (an in-memory copy: no log, and a thread's connection sees none)
        yield
        return
    db = ledger.db
    with translated(ledger.path):
        db.execute_sql("PRAGMA wal_autocheckpoint = 0")
    try:
        yield
    finally:
        with translated(ledger.path):
            db.execute_sql(f"PRAGMA wal_autocheckpoint = {AUTO_PAGES}")
    thread = threading.Thread(target=_checkpoint, args=(ledger,), name="tm-checkpoint")
    thread.start()
    ledger.threads.append(thread)


def _checkpoint(ledger: Ledger) -> None:
    # Never a new empty file where the ledger was: if another process moved it aside just
    # now, the copy is left to whoever opens the file next.
    if not ledger.same_file():
        return
    try:
        with translated(ledger.path):
            ledger.db.execute_sql("PRAGMA wal_checkpoint(PASSIVE)")
    except Exception as exc:  # (a thread's error would print a traceback into the report)
        log.info("ledger checkpoint left for later: %s", exc)
    finally:
        try:
            ledger.db.close()  # this thread's connection
        except Exception as exc:
            log.info("ledger checkpoint connection: %s", exc)
