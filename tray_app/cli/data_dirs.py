"""Check the data dirs a user named (--data-dir, config `data_dirs`, CLAUDE_CONFIG_DIR).

A named dir that is missing, not a directory or unreadable is an error (exit 3) for a
report: counting zero from it would be a figure that lies. `doctor` lists the same
problems instead of failing.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path


def named_dirs(explicit: Sequence[str], env: Mapping[str, str]) -> list[Path]:
    """The dirs the user named: `explicit` ones, else CLAUDE_CONFIG_DIR's; [] for defaults."""
    if explicit:
        return [Path(p).expanduser() for p in explicit]
    value = env.get("CLAUDE_CONFIG_DIR", "")
    return [Path(p.strip()).expanduser() for p in value.split(",") if p.strip()]


def _unlistable(folder: Path) -> str | None:
    """Why `folder` cannot be listed (e.g. "Permission denied"), or None."""
    try:
        with os.scandir(folder):
            return None
    except OSError as exc:
        return exc.strerror or type(exc).__name__


def dir_problem(entry: Path) -> str | None:
    """What is wrong with one named data dir, as a short phrase with the path, or None."""
    try:
        mode = entry.stat().st_mode
    except FileNotFoundError:
        return f"data dir not found: {entry}"
    except OSError as exc:  # e.g. a parent it cannot enter
        return f"data dir unreadable: {entry} ({exc.strerror})"
    if not stat.S_ISDIR(mode):
        return f"data dir is not a directory: {entry}"
    why = _unlistable(entry)
    if why is not None:
        return f"data dir unreadable: {entry} ({why})"
    projects = entry / "projects"
    if os.path.lexists(projects) and projects.is_dir():
        why = _unlistable(projects)
        if why is not None:
            return f"data dir unreadable: {projects} ({why})"
    return None


def data_dir_problems(explicit: Sequence[str], env: Mapping[str, str]) -> list[str]:
    """One line per named data dir that cannot be read (empty when all are fine)."""
    found = (dir_problem(entry) for entry in named_dirs(explicit, env))
    return [problem for problem in found if problem is not None]
