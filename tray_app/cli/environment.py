"""The one injected environment of a CLI run (streams, env vars, clock, exit codes)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TextIO

from tray_app.usage.text_safety import clean


class ExitStatus(IntEnum):
    """Documented exit codes (README: Exit codes)."""

    OK = 0
    ERROR = 1  # unexpected failure (run with --debug for the traceback)
    USAGE = 2  # bad arguments or options
    NO_DATA = 3  # a data dir given with --data-dir/CLAUDE_CONFIG_DIR does not exist
    NOT_FOUND = 4  # no such session (or an ambiguous prefix)
    LEDGER = 5  # the ledger could not be opened or written


class CliError(Exception):
    """An error reported as one clear line, with its exit status."""

    def __init__(self, message: str, status: ExitStatus = ExitStatus.ERROR) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Environment:
    """What a command may touch: streams, environment and the current time."""

    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    now: float = field(default_factory=time.time)
    # Facts only outer layers can probe (tray menu support, watcher mode) for `doctor`.
    extras: dict[str, dict[str, str]] = field(default_factory=dict)

    def warn(self, message: str) -> None:
        """One warning line on stderr."""
        print(f"token-monitor: warning: {clean(message)}", file=self.stderr)
