"""Find Claude Code's roots and transcript files (docs/counting-rules.md)."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator, Mapping, Sequence
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


def _walk(root: Path, warnings: list[str] | None) -> Iterator[os.DirEntry[str]]:
    """Every transcript entry under `root`, recursively (subagent layouts included).

    Symlinked dirs are not entered (no loops); a symlink to a file is listed (its target
    is stat'ed by the caller). Names keep their exact bytes (surrogate escapes).
    """
    top = os.fspath(root)
    stack = [top]
    while stack:
        where = stack.pop()
        try:
            with os.scandir(where) as listing:
                entries = list(listing)
        except OSError as exc:
            log.warning("cannot list %s: %s", exc.filename, exc.strerror)
            if warnings is not None:
                warnings.append(f"cannot list {exc.filename}: {exc.strerror}")
            continue
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if entry.name not in IGNORED_DIRS and not entry.is_symlink():
                    stack.append(entry.path)
            elif is_transcript(entry.name):
                yield entry


def _spelled(path: str, top: str) -> str:
    """`path` as `Path` spells it (a root of "." gives "p/s.jsonl", not "./p/s.jsonl")."""
    return path[2:] if top == "." and path.startswith("./") else path


def scan_transcripts(
    roots: Roots, warnings: list[str] | None = None
) -> list[tuple[str, os.stat_result]]:
    """All transcripts (paths as text) with their stat, oldest-modified first.

    Regular files only (a symlink to one is followed): FIFOs, devices and sockets named
    `*.jsonl` are skipped with a warning, never opened. One `os.scandir` per dir and one
    stat per file, no `Path` objects: a restart lists 10K files in a few tens of ms.
    """
    found: dict[str, os.stat_result] = {}
    for root in roots.dirs:
        top = os.fspath(root)
        for entry in _walk(root, warnings):
            path = _spelled(entry.path, top)
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
    return sorted(found.items(), key=lambda kv: (kv[1].st_mtime_ns, kv[0]))


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
