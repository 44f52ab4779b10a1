"""List the transcripts under data roots: what every run does first (standard library only).

Kept apart from `discovery` so that a forked child can list with nothing but `os` loaded
(adapters/early_listing.py). Problems are appended to `warnings`; the caller logs them.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping, Sequence

# Not `typing.TYPE_CHECKING`: the listing child (adapters/early_listing.py) forks before
# `typing` is loaded, and importing it there cost ~2 ms of the wait for the listing.
TYPE_CHECKING = False
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


# A folder's files in a listing: (the text its files' paths start with, first, end index).
Run = tuple[str, int, int]


def list_transcripts(
    dirs: Sequence[str], warnings: list[str], runs: list[Run] | None = None
) -> dict[str, os.stat_result]:
    """All transcripts (paths as text) with their stat, in listing order.

    Regular files only (a symlink to one is followed): FIFOs, devices and sockets named
    `*.jsonl` are skipped with a warning, never opened. Symlinked dirs are not entered (no
    loops); subagent layouts are. Names keep their exact bytes (surrogate escapes). One
    listing per dir and one stat per file, no `Path` objects: this runs on every start.
    Each folder's files come together; `runs` gets where (see `Run`).
    """
    found: dict[str, os.stat_result] = {}
    for top in dirs:
        # (dir, prefix of its children) spelled as `Path` spells them: a root of "." lists
        # "p/s.jsonl", not "./p/s.jsonl" (the ledger keys read positions by this text).
        stack = [(top, "" if top == "." else os.path.join(top, ""))]
        while stack:
            where, prefix = stack.pop()
            first = len(found)
            _folder(where, prefix, found, warnings, stack)
            if runs is not None and len(found) > first:
                runs.append((prefix, first, len(found)))
    return found


def list_folder(prefix: str, warnings: list[str]) -> dict[str, os.stat_result]:
    """The transcripts of one folder of a listing, its run's `prefix` (its folders not
    entered), exactly as `list_transcripts` lists them there."""
    found: dict[str, os.stat_result] = {}
    where = prefix.rstrip(os.sep) or (os.sep if prefix else ".")
    _folder(where, prefix, found, warnings, None)
    return found


def _folder(
    where: str,
    prefix: str,
    found: dict[str, os.stat_result],
    warnings: list[str],
    stack: list[tuple[str, str]] | None,
) -> None:
    """Add `where`'s transcripts to `found`, and its folders to `stack` (None: not entered)."""
    listed = _listing(where, warnings)
    if listed is None:
        return
    fd, entries = listed
    try:
        for entry in entries:
            name = entry.name
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if stack is not None and name not in IGNORED_DIRS and not entry.is_symlink():
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


def _skip(problem: str, warnings: list[str]) -> None:
    warnings.append(problem)  # (the caller logs them: a forked lister has no logging)


def disk_mark(found: Mapping[str, FileStat], runs: Sequence[Run]) -> str:
    """The listing's fingerprint, folder by folder (`runs` of `found`'s listing order).

    One line per folder, sorted: its key, then sums over its transcripts of count, path
    lengths, sizes, inodes, mtimes and devices. A new or deleted file changes its folder's
    count and inode sum, an append its size and mtime sums, a replaced file its inode; the
    folders whose line changed are the only ones a start needs to compare (scan_mark).
    """
    paths, stats = list(found), list(found.values())
    lines = []
    for prefix, first, end in runs:
        part = stats[first:end]
        sums = (
            end - first,
            sum(map(len, paths[first:end])),
            sum(st.st_size for st in part),
            sum(st.st_ino for st in part),
            sum(st.st_mtime_ns for st in part),
            sum(st.st_dev for st in part),
        )
        lines.append(f"{dir_key(prefix)}\t{':'.join(map(str, sums))}")
    lines.sort()
    return "\n".join(lines)


def dir_key(prefix: str) -> str:
    """A folder's key in a mark: its text, or `?` and its bytes in hex if that cannot be
    stored as text or could be misread (a surrogate escape, a tab or newline, a `?`)."""
    if "\t" in prefix or "\n" in prefix or prefix.startswith("?"):
        return "?" + os.fsencode(prefix).hex()
    try:
        prefix.encode("utf-8")
    except UnicodeEncodeError:
        return "?" + os.fsencode(prefix).hex()
    return prefix


def mark_lines(mark: str) -> dict[str, str]:
    """A mark's sums by folder key (ValueError if a folder has two lines: listed twice)."""
    lines = mark.split("\n") if mark else []
    sums = dict(line.split("\t", 1) for line in lines)
    if len(sums) != len(lines):
        raise ValueError("a folder listed twice")
    return sums
