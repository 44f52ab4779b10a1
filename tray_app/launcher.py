"""Entry point: no command (or `tray`) starts the tray app; anything else is the CLI."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch without importing the UI unless the tray (or doctor's probe) needs it."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["statusline"]:
        # Claude Code runs this on every update: the light module only (≤ 50 ms budget).
        from tray_app.cli.statusline_cmd import main as statusline

        return statusline()
    if not args or args[0] == "tray":
        from tray_app.app import run_tray  # the UI needs a display: import only here

        return run_tray(args[1:])
    from tray_app.cli.environment import Environment
    from tray_app.cli.main import main as cli_main

    env = Environment()
    if args[0] == "doctor":
        from tray_app.app import doctor_extras

        doctor_extras(env)
    return cli_main(args, env)
