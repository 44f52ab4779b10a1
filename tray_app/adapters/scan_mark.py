"""A fingerprint of the transcripts on disk, kept beside the read positions it matches.

Every start lists and `stat`s every transcript to see new bytes; comparing each with its
stored position then needs every position loaded (~15 ms for 10K files) and compared.
The mark holds, for each folder, sums over its transcripts (count, path lengths, sizes,
inodes, mtimes, devices) and the number of writes of its positions so far, which
triggers count for any writer (another process, an older release; ledger_recovery). A
folder whose sums and count are both unchanged since a start that left its positions up
to date has nothing new: a new or deleted file changes the count and inode sum, an
append the size and mtime sums, a replaced file its inode, a position written by anyone
the count. Only the other folders' positions are loaded and compared; when none changed,
none are. (docs/data-path.md)
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from tray_app.adapters.ledger import Ledger
from tray_app.adapters.ledger_connect import stored_path
from tray_app.adapters.ledger_errors import LedgerError, translated
from tray_app.adapters.ledger_recovery import FILES_WRITES, FOLDER_WRITES
from tray_app.adapters.listing import dir_key, mark_lines

log = logging.getLogger(__name__)

KEY = "files_mark:"


def _key(root_ids: Sequence[str]) -> str:
    # Per set of roots: a run on other --data-dir roots lists other files.
    return KEY + "\x1f".join(sorted(root_ids))


Versions = tuple[str, dict[str, int]]  # the ledger's write epoch; write counts by folder key
_HEADER = "folders 2"  # (a mark stored by an older release holds none: compared in full)


def versions(ledger: Ledger, folders: Sequence[str]) -> Versions | None:
    """The positions' write counts now of `folders` (the listed folders' path prefixes);
    None if they cannot be read (then no mark holds)."""
    # (A folder that is not UTF-8 has its files' paths stored as bytes: the epoch counts.)
    wanted = [f for f in folders if isinstance(stored_path(f), str)]
    try:
        with translated(ledger.path):
            db = ledger.db
            row = db.execute_sql("SELECT value FROM meta WHERE key = ?", (FILES_WRITES,))
            epoch = row.fetchone()
            counts: list[tuple[str, int]] = []
            # Only the listed folders: the table keeps every folder ever written.
            for at in range(0, len(wanted), _BATCH):
                part = wanted[at : at + _BATCH]
                sql = f"SELECT folder, n FROM {FOLDER_WRITES} WHERE folder IN "
                counts += db.execute_sql(sql + f"({','.join('?' * len(part))})", part)
    except LedgerError as exc:  # the mark is only a shortcut: compare every position
        log.debug("files mark not read: %s", exc)
        return None
    if epoch is None:
        return None
    return str(epoch[0]), {dir_key(folder): n for folder, n in counts}


_BATCH = 500  # parameters per query (SQLite's limit was 999 before 3.32)


@dataclass(slots=True)
class Mark:
    """A start's disk fingerprint and the write counts it is compared against.

    `seen` follows this run's own writes. A folder whose positions anyone else wrote since
    they were counted (the tray reading on, a `roots forget` dropping positions so they are
    read again) goes to `others`: the run cannot vouch for it, and the mark it keeps leaves
    it out, so the next start compares it. A new epoch (a path stored as bytes written, or
    another ledger file) leaves no mark at all.
    """

    disk: dict[str, str]  # this run's listing: sums by folder key
    seen: Versions | None
    folders: Sequence[str] = ()  # the listed folders (their paths' prefixes)
    # The keys of the folders whose line in the mark changed since the stored one (the
    # other folders' positions unchanged since): only their files need comparing. None:
    # every file.
    changed: frozenset[str] | None = None
    others: set[str] = field(default_factory=set)

    def before_write(self, ledger: Ledger) -> None:
        """Inside a write transaction, before this run writes positions."""
        if self.seen is None:
            return
        now = versions(ledger, self.folders)
        if now is None or now[0] != self.seen[0]:
            self.seen = None
            return
        then = self.seen[1]
        self.others.update(key for key, n in now[1].items() if then.get(key) != n)

    def after_write(self, ledger: Ledger) -> None:
        """Inside the same transaction, after them."""
        if self.seen is not None:
            self.seen = versions(ledger, self.folders)

    def stored(self) -> str | None:
        """The value to keep: the epoch, then each folder's sums and write count."""
        if self.seen is None:
            return None
        epoch, counts = self.seen
        # A folder it cannot vouch for stays as a line that matches nothing: a folder gone
        # from a later listing still means every file is compared.
        lines = [
            f"{key}\t-" if key in self.others else f"{key}\t{sums}\t{counts.get(key, 0)}"
            for key, sums in sorted(self.disk.items())
        ]
        return "\n".join([_HEADER, epoch, *lines])


def check(
    ledger: Ledger, root_ids: Sequence[str], disk: str, folders: Sequence[str]
) -> Mark | None:
    """None when the stored mark says the positions cover the disk `disk` describes
    (nothing new); else the mark to keep once this run has read it all, with the write
    counts of the listed `folders` read before the positions themselves are."""
    try:
        sums = mark_lines(disk)
    except ValueError:  # a folder listed twice (nested roots): no mark for such a listing
        return Mark({}, None)
    seen = versions(ledger, folders)
    if seen is None:
        return Mark(sums, None, folders)
    epoch, counts = seen
    now = {key: f"{line}\t{counts.get(key, 0)}" for key, line in sums.items()}
    changed = None
    stored = None
    with contextlib.suppress(LedgerError), translated(ledger.path):
        stored = ledger.meta(_key(root_ids))
    head, _, rest = (stored or "").partition("\n")
    then_epoch, _, lines = rest.partition("\n")
    then = _lines(lines) if head == _HEADER and then_epoch == epoch else None
    if then == now:
        return None
    if then is not None and then.keys() <= now.keys():  # (a folder gone: compare all)
        changed = frozenset(key for key, line in now.items() if then.get(key) != line)
    return Mark(sums, seen, folders, changed)


def _lines(text: str) -> dict[str, str] | None:
    """A stored mark's lines by folder key (None: a value edited by hand, no shortcut)."""
    try:
        return mark_lines(text)  # (each line: a key, then what follows its first tab)
    except ValueError:
        return None


def remember(ledger: Ledger, root_ids: Sequence[str], mark: Mark) -> None:
    """Keep `mark` once this run has read everything it listed, in a transaction of its
    own, if no one else wrote positions since this run loaded them.

    Only when the write lock is free at once: a busy ledger is someone else writing
    positions, and the next start simply compares them all again.
    """
    if mark.seen is None:
        return
    key = _key(root_ids)
    db = ledger.db
    busy = int(str(db.pragmas.get("busy_timeout", 0)))
    try:
        with translated(ledger.path):
            db.execute_sql("PRAGMA busy_timeout = 0")
        try:
            with ledger.writing():
                mark.before_write(ledger)
                value = mark.stored()
                if value is not None:
                    db.execute_sql("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
        finally:
            with translated(ledger.path):
                db.execute_sql(f"PRAGMA busy_timeout = {busy}")
    except LedgerError as exc:  # busy, read-only, full: the mark is only a shortcut
        log.debug("files mark not stored: %s", exc)
