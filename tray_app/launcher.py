"""Entry point: no command (or `tray`) starts the tray app; anything else is the CLI."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence


def menu_hint(env: Mapping[str, str]) -> str | None:
    """Say in one line what to install when the tray would start with no menu (and no Quit)."""
    if env.get("PYSTRAY_BACKEND"):
        return None  # a backend chosen on purpose
    from tray_app.adapters import menu_deps

    fix = menu_deps.advice(menu_deps.probe(), pid=os.getpid())
    if fix:
        sys.stderr.write(f"token-monitor: {fix}\n")
    return fix


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch without importing the UI unless the tray (or doctor's probe) needs it."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["statusline"]:
        # Claude Code runs this on every update: the light module only (≤ 50 ms budget).
        from tray_app.cli.statusline_cmd import main as statusline

        return statusline()
    if not args or args[0] == "tray":
        menu_hint(os.environ)
        from tray_app.app import run_tray  # the UI needs a display: import only here

        return run_tray(args[1:])
    from tray_app.cli.environment import Environment
    from tray_app.cli.main import main as cli_main

    env = Environment()
    if "doctor" in args:  # also after global options: `token-monitor --json doctor`
        from tray_app.adapters import menu_deps
        from tray_app.app import doctor_extras

        doctor_extras(env)
        fix = menu_deps.advice(menu_deps.probe())
        if fix:
            env.extras.setdefault("tray", {})["fix"] = fix
    return cli_main(args, env)
