"""Find Claude Code's roots and transcript files (docs/counting-rules.md)."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from tray_app.adapters.listing import Run, list_transcripts

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Roots:
    """The `projects/` dirs to scan, and the configured ones that are missing."""

    dirs: tuple[Path, ...]
    missing: tuple[Path, ...] = ()
    warnings: tuple[str, ...] = field(default=())
    watch: tuple[Path, ...] = ()  # every projects dir to watch, existing or not (yet)


class FileStat(Protocol):
    """What a scan reads of a transcript's stat: an `os.stat_result`, or a listing's copy
    (adapters/early_listing.py)."""

    @property
    def st_size(self) -> int: ...
    @property
    def st_ino(self) -> int: ...
    @property
    def st_dev(self) -> int: ...
    @property
    def st_mtime_ns(self) -> int: ...


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


def scan_transcripts(
    roots: Roots, warnings: list[str] | None = None, runs: list[Run] | None = None
) -> dict[str, os.stat_result]:
    """All transcripts (paths as text) with their stat, in listing order (adapters/listing.py:
    regular files only, symlinked dirs not entered, exact names, each folder's `runs`);
    problems are logged."""
    problems: list[str] = []
    found = list_transcripts([os.fspath(root) for root in roots.dirs], problems, runs)
    report(problems, warnings)
    return found


def report(problems: Sequence[str], warnings: list[str] | None) -> None:
    """Log what a listing found wrong, and add it to the caller's warnings."""
    for problem in problems:
        log.warning("%s", problem)
    if warnings is not None:
        warnings.extend(problems)


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
    report([problem], warnings)
    return None
