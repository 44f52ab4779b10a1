"""Projects (the sessions' working dirs) for reports: names, aliases and `--project`."""

from __future__ import annotations

import argparse
from typing import TypeVar

from tray_app.cli.dataset import Dataset
from tray_app.cli.environment import CliError, ExitStatus
from tray_app.usage.grouping import project_matches, project_names
from tray_app.usage.model import Entry
from tray_app.usage.rollup import Part

Item = TypeVar("Item", Entry, Part)


class Projects:
    """Each session's project path and the name reports show for it."""

    def __init__(self, data: Dataset) -> None:
        self.paths = data.projects
        aliases = getattr(data.settings, "project_aliases", {})
        seen = {self.path(e) for e in data.by_session()} | set(self.paths.values())
        self.names = project_names(seen, aliases)

    def path(self, e: Entry | Part) -> str:
        """The working dir of a response's session (its own cwd when the session has none)."""
        return self.paths.get(e.session_id) or e.cwd

    def name(self, e: Entry | Part) -> str:
        """The shown project name of a response."""
        return self.names.get(self.path(e), "") or "(no project)"

    def select(self, entries: list[Item], args: argparse.Namespace) -> list[Item]:
        """The responses of `--project NAME` (all without it); an unknown name is an error."""
        wanted = getattr(args, "project", None)
        if not wanted:
            return entries
        paths = {p for p in self.names if project_matches(p, wanted, self.names)}
        if not paths:
            known = ", ".join(sorted(set(self.names.values()))[:8]) or "none"
            raise CliError(f"no project {wanted!r} (known: {known})", ExitStatus.NOT_FOUND)
        return [e for e in entries if self.path(e) in paths]
