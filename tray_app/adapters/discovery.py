"""Find Claude Code's roots and transcript files (docs/counting-rules.md)."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

IGNORED_NAMES = frozenset({"journal.jsonl"})
IGNORED_DIRS = frozenset({"tool-results"})


@dataclass(frozen=True, slots=True)
class Roots:
    """The `projects/` dirs to scan, and the configured ones that are missing."""

    dirs: tuple[Path, ...]
    missing: tuple[Path, ...] = ()
    warnings: tuple[str, ...] = field(default=())
    watch: tuple[Path, ...] = ()  # every projects dir to watch, existing or not (yet)


def _is_dir(path: Path) -> bool:
    """`Path.is_dir` that says False instead of raising for a dir it may not enter (3.11)."""
    try:
        return path.is_dir()
    except OSError:
        return False


def _projects_dir(entry: Path) -> Path:
    # A configured entry may be the config dir or its projects/ dir itself; a dir holding
    # transcripts directly (e.g. a copied folder) is scanned as it is.
    return entry / "projects" if _is_dir(entry / "projects") else entry


def find_roots(
    explicit: Sequence[str] = (), env: Mapping[str, str] = os.environ, home: Path | None = None
) -> Roots:
    """`explicit` dirs, else `CLAUDE_CONFIG_DIR` entries, else both default roots."""
    home = home or Path.home()
    configured: list[Path]
    if explicit:
        configured = [Path(p).expanduser() for p in explicit]
        required = True
    elif env.get("CLAUDE_CONFIG_DIR", "").strip():
        configured = [
            Path(p.strip()).expanduser() for p in env["CLAUDE_CONFIG_DIR"].split(",") if p.strip()
        ]
        required = True
    else:
        xdg = env.get("XDG_CONFIG_HOME") or str(home / ".config")
        configured = [Path(xdg) / "claude", home / ".claude"]
        required = False
    dirs: list[Path] = []
    missing: list[Path] = []
    warnings: list[str] = []
    seen: set[Path] = set()
    watch: list[Path] = []
    for entry in configured:
        projects = _projects_dir(entry)
        if entry.name != "projects" and not _is_dir(entry):
            projects = entry / "projects"  # not there yet: watch where Claude Code will write
        watch.append(projects)
        if not _is_dir(projects):
            if required:
                missing.append(entry)
                warnings.append(f"data dir not found: {entry}")
            continue
        try:
            resolved = projects.resolve()
        except OSError as exc:
            warnings.append(f"data dir unreadable: {entry} ({exc.strerror})")
            continue
        if resolved not in seen:
            seen.add(resolved)
            dirs.append(projects)
    if not dirs and not required:
        warnings.append(f"no Claude Code data found in {configured[0]} or {configured[1]}")
    return Roots(tuple(dirs), tuple(missing), tuple(warnings), tuple(watch))


def is_transcript(name: str) -> bool:
    """A `*.jsonl` file that can hold usage (not journals or side files)."""
    return name.endswith(".jsonl") and name not in IGNORED_NAMES


# POSIX lists each dir through an open descriptor, so its files are stat'ed relative to it
# (fstatat: the kernel does not walk the whole path again per file). Windows lists by path.
_BY_FD = os.scandir in os.supports_fd
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)


def _listing(where: str, warnings: list[str] | None) -> tuple[int, list[os.DirEntry[str]]] | None:
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


def scan_transcripts(roots: Roots, warnings: list[str] | None = None) -> dict[str, os.stat_result]:
    """All transcripts (paths as text) with their stat, in listing order.

    Regular files only (a symlink to one is followed): FIFOs, devices and sockets named
    `*.jsonl` are skipped with a warning, never opened. Symlinked dirs are not entered (no
    loops); subagent layouts are. Names keep their exact bytes (surrogate escapes). One
    listing per dir and one stat per file, no `Path` objects: this runs on every start.
    """
    found: dict[str, os.stat_result] = {}
    for root in roots.dirs:
        top = os.fspath(root)
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


def _skip(problem: str, warnings: list[str] | None) -> None:
    log.warning("%s", problem)
    if warnings is not None:
        warnings.append(problem)


def regular_stat(path: Path, warnings: list[str] | None = None) -> os.stat_result | None:
    """`path`'s stat if it is a regular file; None (with a warning) otherwise.

    FileNotFoundError propagates: a vanished file is the caller's business.
    """
    try:
        st = path.stat()
    except FileNotFoundError:
        raise
    except OSError as exc:
        problem = f"cannot stat {path}: {exc.strerror}"
    else:
        if stat.S_ISREG(st.st_mode):
            return st
        problem = f"skipped {path}: not a regular file"
    _skip(problem, warnings)
    return None
