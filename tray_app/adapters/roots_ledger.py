"""Which data roots each counted response was read from, so reports cover the roots asked for.

A root is a `projects/` dir (as `discovery.find_roots` returns it), named by its absolute
path. `response_roots` holds one row per (root, response key) for every root a copy of the
response was read from: a response copied into two roots belongs to both, and a report on
either counts it (once, with its largest copy).

Ledgers from before this table have responses of unknown root. The first open clears the
read positions once, so the next scan reads every transcript again (dedup keeps that from
counting twice) and records their roots; responses whose files are gone stay of unknown
root and are shown in every report (`doctor` says how many).

While every response in the ledger was read from one root only (the usual case: one
`~/.claude/projects`), that root's rows are not written: meta `response_roots_sole` names
it and `response_roots` stays empty (a first scan saved ~100K rows per GB). The first
write that brings a response from another root, or of unknown root, writes the sole
root's rows for every stored response in SQL first, in the same transaction, and from
then on the table is complete. Every reader below answers the same in both forms.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Any

from tray_app.adapters import write_mark
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.ledger_connect import loaded_path

log = logging.getLogger(__name__)

VERSION_KEY = "response_roots"
ROOTS_KEY = "response_roots_list"
# The one root every stored response was read from while its rows are not written.
SOLE_KEY = "response_roots_sole"
CHUNK = 500  # SQLite's default limit is 999 host parameters per statement


def _db(ledger: Ledger) -> Any:
    """The peewee database (untyped: peewee ships no hints)."""
    return ledger.db


def root_id(root: Path | str) -> str:
    """The name a root is remembered by: its absolute path (symlinks kept as written)."""
    return os.path.abspath(os.fspath(root))


def under(path: str, root: str) -> bool:
    """Whether `path` lies inside the root named `root`."""
    return root_id(path).startswith(root.rstrip(os.sep) + os.sep)


def root_of(path: str, roots: Sequence[str]) -> str | None:
    """The root (of `roots`, as `root_id`s) holding `path`, if any."""
    return next((r for r in roots if under(path, r)), None)


def ensure_attributed(ledger: Ledger) -> bool:
    """Once per ledger: make the next scan re-read everything if responses lack roots.

    Returns True when read positions were cleared (the caller's file states are stale).
    """
    if ledger.meta(VERSION_KEY) is not None:
        return _after_old_release(ledger)
    with ledger.writing() as raw:
        db: Any = raw  # peewee ships no type hints
        # Without its version mark the ledger vouches for no root of any response.
        db.execute_sql("DELETE FROM meta WHERE key = ?", (SOLE_KEY,))
        unknown = db.execute_sql(
            "SELECT EXISTS (SELECT 1 FROM responses WHERE key NOT IN "
            "(SELECT key FROM response_roots))"
        ).fetchone()[0]
        if unknown:
            # Re-reading is safe (a copy already counted changes nothing) and tells us
            # which root each response's copies are in.
            db.execute_sql("DELETE FROM files")
            log.info("ledger: reading every transcript once to learn each response's root")
        db.execute_sql("INSERT OR REPLACE INTO meta VALUES (?, '1')", (VERSION_KEY,))
    return bool(unknown)


def _after_old_release(ledger: Ledger) -> bool:
    """Rows next to the sole mark: a release unaware of it read another root in. Made whole.

    Responses without rows were written under the mark (the sole root's); the sole root's
    files are read again, so a response it shares with the other root gets its row too.
    """
    if (
        _sole(_db(ledger)) is None
        or not _db(ledger).execute_sql("SELECT 1 FROM response_roots").fetchone()
    ):
        return False
    with ledger.writing() as raw:
        db: Any = raw  # peewee ships no type hints
        sole = _sole(db)
        if sole is None:
            return False
        db.execute_sql(
            "INSERT OR IGNORE INTO response_roots (root, key) SELECT ?, key FROM responses "
            "WHERE key NOT IN (SELECT key FROM response_roots)", (sole,)
        )  # fmt: skip
        db.execute_sql("DELETE FROM meta WHERE key = ?", (SOLE_KEY,))
        _set_known(db, {r for (r,) in db.execute_sql("SELECT DISTINCT root FROM response_roots")})
        _drop_positions(db, (sole,))
        write_mark.stamp(ledger)  # a live view elsewhere starts again with the roots right
    log.info("ledger: an older release read another root in; reading %s once more", sole)
    return True


def record(
    ledger: Ledger,
    seen: Mapping[str, set[str]],
    written: Collection[str] = (),
    rooted: bool = False,
) -> None:
    """Remember that responses (keys) were read from roots: {root id: keys}.

    `written` are the keys about to be stored with them (in the same transaction: see
    `Engine.flush`); while all of them come from the ledger's sole root no row is written.
    `rooted`: each of them was read from a root in `seen` (then with one root, no check).
    """
    roots = sorted(root for root, keys in seen.items() if keys)
    if not roots and not written:
        return
    with ledger.writing() as raw:
        db: Any = raw  # peewee ships no type hints
        sole = _sole(db)
        alone = roots[0] if len(roots) == 1 else None
        # (The check walks every key: ~30 ms after a first scan of 1 GB.)
        if alone is not None and (rooted or seen[alone].issuperset(written)):
            if sole == alone:
                return  # still one root: its rows stay implicit
            if sole is None and _empty(db):
                db.execute_sql("INSERT OR REPLACE INTO meta VALUES (?, ?)", (SOLE_KEY, alone))
                _set_known(db, {alone})  # the only root with responses from now
                return
        if sole is not None:
            # A second root (or a response of unknown root): from now on rows for all.
            db.execute_sql(
                "INSERT OR IGNORE INTO response_roots (root, key) SELECT ?, key FROM responses",
                (sole,),
            )
            db.execute_sql("DELETE FROM meta WHERE key = ?", (SOLE_KEY,))
        if not roots:
            return  # responses of unknown root (read from outside every root)
        cursor = db.cursor()
        for root in roots:
            # Sorted: inserts in primary-key order are sequential B-tree appends.
            # (Keys sorted as text and paired in C: 2x faster than sorting pairs.)
            rows = zip(repeat(root), sorted(seen[root]))
            cursor.executemany(
                "INSERT OR IGNORE INTO response_roots (root, key) VALUES (?, ?)", rows
            )
        stored = _stored(db)
        known = _known(db) if stored is None else stored
        # Store the list whenever it is missing too: the table already holds the new
        # roots, so a subset check alone never wrote it and every later command paid
        # a DISTINCT over the whole table.
        if stored is None or not set(roots) <= known:
            _set_known(db, known | set(roots))


def _sole(db: Any) -> str | None:
    """The root every stored response came from while its rows are implicit, if so."""
    row = db.execute_sql("SELECT value FROM meta WHERE key = ?", (SOLE_KEY,)).fetchone()
    return None if row is None else str(row[0])


def _empty(db: Any) -> bool:
    """No response and no root row yet: the first write may make its root the sole one."""
    return (
        db.execute_sql("SELECT 1 FROM responses LIMIT 1").fetchone() is None
        and db.execute_sql("SELECT 1 FROM response_roots LIMIT 1").fetchone() is None
    )


def _keys_of(db: Any, root: str) -> list[str]:
    """The responses read from `root` (every one while it is the sole root)."""
    if _sole(db) == root:
        return [row[0] for row in db.execute_sql("SELECT key FROM responses")]
    return [row[0] for row in db.execute_sql(
        "SELECT key FROM response_roots WHERE root = ?", (root,))]  # fmt: skip


def _stored(db: Any) -> set[str] | None:
    """The root list kept in `meta`, or None for a ledger written before it was kept."""
    row = db.execute_sql("SELECT value FROM meta WHERE key = ?", (ROOTS_KEY,)).fetchone()
    return None if row is None else set(json.loads(row[0]))


def _known(db: Any) -> set[str]:
    """Every root with responses: kept in `meta` so a restart need not scan the table."""
    stored = _stored(db)
    if stored is None:  # written before the list was kept: ask the table
        sole = _sole(db)
        if sole is not None:
            return {sole}
        return {r[0] for r in db.execute_sql("SELECT DISTINCT root FROM response_roots")}
    return stored


def _set_known(db: Any, roots: set[str]) -> None:
    db.execute_sql(
        "INSERT OR REPLACE INTO meta VALUES (?, ?)", (ROOTS_KEY, json.dumps(sorted(roots)))
    )


def _marks(values: Sequence[str]) -> str:
    return ", ".join("?" * len(values))


def outside_keys(ledger: Ledger, roots: Sequence[str]) -> set[str]:
    """Responses read only from other roots (unknown-root ones are not among them)."""
    if not roots or _known(_db(ledger)) <= set(roots):
        return set()  # the common case, answered without reading the table
    sole = _sole(_db(ledger))
    if sole is not None:  # every response came from that one root
        if sole in roots:
            return set()
        return {row[0] for row in _db(ledger).execute_sql("SELECT key FROM responses")}
    cursor = _db(ledger).execute_sql(
        "SELECT DISTINCT key FROM response_roots WHERE key NOT IN "
        f"(SELECT key FROM response_roots WHERE root IN ({_marks(roots)}))",
        tuple(roots),
    )
    return {row[0] for row in cursor}


@dataclass(frozen=True, slots=True)
class RootInfo:
    """A root the ledger remembers, with how many counted responses came from it."""

    root: str
    responses: int
    only_here: int  # responses no other root has a copy of
    files: int  # read positions kept for files inside it


def remembered(ledger: Ledger) -> tuple[list[RootInfo], int]:
    """Every remembered root, and the number of responses of unknown root."""
    db = _db(ledger)
    sole = _sole(db)
    if sole is not None:  # each response read from it alone
        n = db.execute_sql("SELECT COUNT(*) FROM responses").fetchone()[0]
        counts = [(sole, n, n)] if n else []
    else:
        counts = db.execute_sql(
            "SELECT root, COUNT(*), SUM(n = 1) FROM response_roots JOIN "
            "(SELECT key AS k, COUNT(*) AS n FROM response_roots GROUP BY key) ON k = key "
            "GROUP BY root ORDER BY root"
        ).fetchall()
    paths = [loaded_path(row[0]) for row in db.execute_sql("SELECT path FROM files")]
    out = [
        RootInfo(root, int(n), int(only or 0), sum(1 for p in paths if under(p, root)))
        for root, n, only in counts
    ]
    unknown = 0 if sole is not None else db.execute_sql(
        "SELECT COUNT(*) FROM responses WHERE key NOT IN (SELECT key FROM response_roots)"
    ).fetchone()[0]  # fmt: skip
    return out, int(unknown)


@dataclass(frozen=True, slots=True)
class Forget:
    """What forgetting a root removes (or removed)."""

    root: str
    responses: int  # counted responses read only from this root: deleted
    shared: int  # also read from other roots: kept, recounted from those roots' files
    files: int  # read positions inside the root: deleted
    rescan: tuple[str, ...]  # other roots whose files are read again to recount `shared`


def plan_forget(ledger: Ledger, root: str) -> Forget:
    """What `forget` would remove, without changing anything."""
    db = _db(ledger)
    keys = _keys_of(db, root)
    shared: set[str] = set()
    others: set[str] = set()
    for i in range(0, len(keys), CHUNK):
        part = keys[i : i + CHUNK]
        cursor = db.execute_sql(
            f"SELECT key, root FROM response_roots WHERE root != ? AND key IN ({_marks(part)})",
            (root, *part),
        )
        for key, other in cursor:
            shared.add(key)
            others.add(other)
    files = sum(
        1 for (p,) in db.execute_sql("SELECT path FROM files") if under(loaded_path(p), root)
    )
    return Forget(root, len(keys) - len(shared), len(shared), files, tuple(sorted(others)))


def forget(ledger: Ledger, root: str) -> Forget:
    """Delete a root's read positions and the responses that came only from it.

    A response also read from another root is deleted too and that root's files are read
    again from the start: its count then comes from its own copies, not this root's.
    """
    plan = plan_forget(ledger, root)
    with ledger.writing() as raw:
        db: Any = raw  # peewee ships no type hints
        keys = _keys_of(db, root)
        for i in range(0, len(keys), CHUNK):
            part = keys[i : i + CHUNK]
            db.execute_sql(f"DELETE FROM responses WHERE key IN ({_marks(part)})", tuple(part))
        db.execute_sql("DELETE FROM response_roots WHERE root = ?", (root,))
        if _sole(db) == root:
            db.execute_sql("DELETE FROM meta WHERE key = ?", (SOLE_KEY,))
        _set_known(db, _known(db) - {root})
        _drop_positions(db, (root, *plan.rescan))
        db.execute_sql("DELETE FROM block_cache")  # every cached block may hold its responses
        write_mark.stamp(ledger)  # a live view elsewhere starts again without them
    return plan


def _drop_positions(db: Any, roots: Sequence[str]) -> None:
    """Forget the read positions of files inside `roots`: the next scan reads them again."""
    drop = [
        (p,) for (p,) in db.execute_sql("SELECT path FROM files")
        if any(under(loaded_path(p), r) for r in roots)
    ]  # fmt: skip
    db.cursor().executemany("DELETE FROM files WHERE path = ?", drop)
