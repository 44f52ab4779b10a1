"""What lies at the ledger's path, and the file moves the ledger may make (never overwriting).

Rule for "ours" (docs/ledger-safety.md): a file is a Token Monitor ledger when its SQLite
header carries our application id, or (ledgers made before the id existed) SQLite can
read our `meta` table's `schema` row. A file whose header is no longer SQLite's counts as
a damaged ledger of ours only when it still holds our `responses` table definition, or
it sits at the default ledger path inside our own data dir. Anything else is refused.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import os
import re
import sqlite3
import stat
import time
from pathlib import Path
from urllib.parse import quote

from tray_app.adapters.ledger_errors import SQLITE_BUSY, LedgerRefused, classify, sqlite_code
from tray_app.adapters.ledger_in_use import in_use
from tray_app.adapters.locations import data_dir

APPLICATION_ID = 0x546F6B4D  # "TokM" in the header's application_id field (offset 68)
SQLITE_MAGIC = b"SQLite format 3\x00"
# The start of our `responses` table's definition as SQLite keeps it in sqlite_master.
SIGNATURE = b'CREATE TABLE "responses" ("key" TEXT NOT NULL PRIMARY KEY, "ts" REAL NOT NULL'
SCAN_BYTES = 1 << 20


class Kind(enum.Enum):
    """What the path holds."""

    MISSING = "missing"
    EMPTY = "empty"  # zero bytes, or an SQLite database without any table
    OURS = "ours"
    DAMAGED = "damaged"  # not readable as SQLite, but recognisably ours
    FOREIGN = "foreign"


def default_ledger() -> Path:
    """The ledger path inside our own data dir (a file there is ours by construction)."""
    return data_dir() / "ledger.sqlite3"


def ro_uri(path: Path, immutable: bool = False) -> str:
    """A read-only SQLite URI for `path` (immutable: no locks, for read-only media)."""
    flag = "immutable=1" if immutable else "mode=ro"
    return f"file:{quote(str(path.resolve()))}?{flag}"


def identify(path: Path) -> Kind:
    """Classify what is at `path`; refuses folders and other non-files outright."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return Kind.MISSING
    except OSError as exc:
        raise classify(exc, path) from exc
    if stat.S_ISDIR(st.st_mode):
        raise LedgerRefused(
            f"{path} is a folder, not a Token Monitor ledger; nothing was changed "
            "(point TOKEN_MONITOR_DB or db_path at a file inside it instead)"
        )
    if not stat.S_ISREG(st.st_mode):
        raise LedgerRefused(f"{path} is not a regular file; nothing was changed")
    if in_use(path, st):
        # Open through SQLite in this process, so it was ours then. Closing a descriptor
        # of our own here would drop this process's SQLite locks on it (ledger_in_use.py).
        return Kind.OURS
    try:
        with open(path, "rb") as handle:
            head = handle.read(100)  # the SQLite header
            if head.startswith(SQLITE_MAGIC) and len(head) == 100:
                app_id = int.from_bytes(head[68:72], "big")
                if app_id == APPLICATION_ID:
                    return Kind.OURS  # the usual case: 100 bytes read
                if app_id != 0:
                    return Kind.FOREIGN
            head += handle.read(SCAN_BYTES - len(head))
    except OSError as exc:
        raise classify(exc, path) from exc
    if not head:
        return Kind.EMPTY
    if head.startswith(SQLITE_MAGIC) and len(head) >= 100:
        return _by_tables(path, head)
    return Kind.DAMAGED if _looks_ours(path, head) else Kind.FOREIGN


def _looks_ours(path: Path, head: bytes) -> bool:
    if SIGNATURE in head:
        return True
    try:
        return path.resolve() == default_ledger().resolve()
    except OSError:
        return False


def _by_tables(path: Path, head: bytes) -> Kind:
    """An SQLite file without our id: ours if it has our meta row, empty if no tables."""
    for immutable in (False, True):
        try:
            con = sqlite3.connect(ro_uri(path, immutable), uri=True)
        except sqlite3.Error:
            continue
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
            if not tables:
                return Kind.EMPTY
            if (
                "meta" in tables
                and con.execute("SELECT 1 FROM meta WHERE key = 'schema'").fetchone()
            ):
                return Kind.OURS
            return Kind.FOREIGN
        except sqlite3.Error as exc:
            if sqlite_code(exc) == SQLITE_BUSY:
                raise classify(exc, path) from exc
            if _looks_ours(path, head):
                return Kind.DAMAGED
            if immutable:
                return Kind.FOREIGN
        finally:
            con.close()
    return Kind.DAMAGED if _looks_ours(path, head) else Kind.FOREIGN


def refusal(path: Path) -> LedgerRefused:
    """The error for a file that is not one of our ledgers."""
    return LedgerRefused(
        f"{path} is not a Token Monitor ledger; it was left untouched "
        "(point TOKEN_MONITOR_DB or db_path at a new file name)"
    )


def exclusive_name(base: Path, suffixes: tuple[str, ...] = ("",)) -> Path:
    """A name `base[-N]` for which none of `name + suffix` exists yet (reserved, O_EXCL)."""
    for n in range(10_000):
        candidate = base if n == 0 else base.with_name(f"{base.name}-{n}")
        made: list[Path] = []
        try:
            for suffix in suffixes:
                target = Path(f"{candidate}{suffix}")
                os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
                made.append(target)
        except FileExistsError:
            for target in made:
                target.unlink()
            continue
        return candidate
    raise FileExistsError(errno.EEXIST, "no free name", str(base))


def sweep_temps(path: Path) -> int:
    """Remove our own temp ledgers left beside `path` by a process that no longer runs."""
    pattern = re.compile(rf"\.{re.escape(path.name)}\.new-(\d+)-[0-9a-f]{{6}}")
    removed = 0
    try:
        names = os.listdir(path.parent)
    except OSError:
        return 0
    for name in names:
        match = pattern.fullmatch(name)
        if match is None or int(match[1]) == os.getpid():
            continue
        try:
            os.kill(int(match[1]), 0)
            continue  # its maker still runs (or the pid was reused): not ours to judge
        except ProcessLookupError:
            pass
        except OSError:
            continue
        with contextlib.suppress(OSError):
            os.unlink(path.parent / name)
            removed += 1
    return removed


def temp_sibling(path: Path) -> Path:
    """A fresh private file name next to `path` (created empty, 0600)."""
    import secrets  # only when a file is made: ~1-2 ms of every start otherwise

    return exclusive_name(path.with_name(f".{path.name}.new-{os.getpid()}-{secrets.token_hex(3)}"))


def move_aside(path: Path) -> Path:
    """Move the damaged ledger and its -wal/-shm to `<name>.corrupt-<time>[-N]`, never
    replacing an earlier one; the ledger's path is left pointing at the damaged file
    until the caller puts the rebuilt one in place with `os.replace`."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    suffixes = tuple(s for s in ("", "-wal", "-shm") if s == "" or Path(f"{path}{s}").exists())
    aside = exclusive_name(path.with_name(f"{path.name}.corrupt-{stamp}"), suffixes)
    # The reserved names are our own empty files, so replacing them overwrites nothing.
    # The main file is linked (it stays at `path` until the rebuilt one replaces it).
    for suffix in suffixes[1:]:
        os.replace(f"{path}{suffix}", f"{aside}{suffix}")
    try:
        os.unlink(aside)
        os.link(path, aside)
    except OSError:
        os.close(os.open(aside, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        os.replace(path, aside)  # no hard links here: the path is empty until replaced
    return aside


def put_in_place(new: Path, path: Path, replace: bool) -> bool:
    """Move the finished `new` ledger to `path`; without `replace`, only if still free."""
    if replace:
        os.replace(new, path)
        return True
    try:
        os.link(new, path)
    except FileExistsError:
        new.unlink()
        return False  # another process created it meanwhile: use theirs
    except OSError:
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            new.unlink()
            return False
        os.close(fd)
        os.replace(new, path)  # onto the empty file we just created
        return True
    new.unlink()
    return True
