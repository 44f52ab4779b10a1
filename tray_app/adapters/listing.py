"""List the transcripts under data roots: what every run does first (standard library only).

Kept apart from `discovery` so that a forked child can list with nothing but `os` loaded
(adapters/early_listing.py). Problems are appended to `warnings`; the caller logs them.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tray_app.adapters.discovery import FileStat

IGNORED_NAMES = frozenset({"journal.jsonl"})
IGNORED_DIRS = frozenset({"tool-results"})


def is_transcript(name: str) -> bool:
    """A `*.jsonl` file that can hold usage (not journals or side files)."""
    return name.endswith(".jsonl") and name not in IGNORED_NAMES


# POSIX lists each dir through an open descriptor, so its files are stat'ed relative to it
# (fstatat: the kernel does not walk the whole path again per file). Windows lists by path.
_BY_FD = os.scandir in os.supports_fd
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)


def _listing(where: str, warnings: list[str]) -> tuple[int, list[os.DirEntry[str]]] | None:
    """`where`'s entries and the descriptor they stat through (-1: none); None if unlistable."""
    fd = -1
    try:
        if _BY_FD:
            fd = os.open(where, _DIR_FLAGS)
        with os.scandir(fd if fd >= 0 else where) as listing:
            return fd, list(listing)
    except OSError as exc:
        if fd >= 0:
            os.close(fd)
        _skip(f"cannot list {where}: {exc.strerror}", warnings)
        return None


def list_transcripts(dirs: Sequence[str], warnings: list[str]) -> dict[str, os.stat_result]:
    """All transcripts (paths as text) with their stat, in listing order.

    Regular files only (a symlink to one is followed): FIFOs, devices and sockets named
    `*.jsonl` are skipped with a warning, never opened. Symlinked dirs are not entered (no
    loops); subagent layouts are. Names keep their exact bytes (surrogate escapes). One
    listing per dir and one stat per file, no `Path` objects: this runs on every start.
    """
    found: dict[str, os.stat_result] = {}
    for top in dirs:
        # (dir, prefix of its children) spelled as `Path` spells them: a root of "." lists
        # "p/s.jsonl", not "./p/s.jsonl" (the ledger keys read positions by this text).
        stack = [(top, "" if top == "." else os.path.join(top, ""))]
        while stack:
            where, prefix = stack.pop()
            listed = _listing(where, warnings)
            if listed is None:
                continue
            fd, entries = listed
            try:
                for entry in entries:
                    name = entry.name
                    try:
                        is_dir = entry.is_dir()
                    except OSError:
                        is_dir = False
                    if is_dir:
                        if name not in IGNORED_DIRS and not entry.is_symlink():
                            stack.append((prefix + name, prefix + name + os.sep))
                    elif is_transcript(name):
                        path = prefix + name
                        try:
                            st = entry.stat()  # follows a symlink, like Path.stat
                        except FileNotFoundError:
                            continue  # vanished since listed, or a dangling symlink
                        except OSError as exc:
                            _skip(f"cannot stat {path}: {exc.strerror}", warnings)
                            continue
                        if stat.S_ISREG(st.st_mode):
                            found[path] = st
                        else:
                            _skip(f"skipped {path}: not a regular file", warnings)
            finally:
                if fd >= 0:
                    os.close(fd)  # the entries stat relative to it: closed only when done
    return found


def _skip(problem: str, warnings: list[str]) -> None:
    warnings.append(problem)  # (the caller logs them: a forked lister has no logging)


def disk_mark(found: Mapping[str, FileStat]) -> str:
    """Sums over every listed transcript: count, path lengths, sizes, inodes, mtimes, devices."""
    stats = found.values()
    return ":".join(
        str(n)
        for n in (
            len(found),
            sum(map(len, found)),
            sum(st.st_size for st in stats),
            sum(st.st_ino for st in stats),
            sum(st.st_mtime_ns for st in stats),
            sum(st.st_dev for st in stats),
        )
    )
