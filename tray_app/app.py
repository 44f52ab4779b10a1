"""App wiring: the tray process and the commands that need more than the CLI layer."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from tray_app.cli.environment import Environment, ExitStatus
from tray_app.cli.main import Command


def run_tray(args: Sequence[str]) -> int:
    """Start the tray app (filled in with the live service and UI)."""
    raise SystemExit("the tray app is not wired yet")


def cli_extras() -> dict[str, tuple[str, Command]]:
    """Commands contributed by outer layers (watch, autostart, tray)."""
    return {}


__all__ = ["Environment", "ExitStatus", "argparse", "cli_extras", "run_tray"]
