"""Entry point: no command (or `tray`) starts the tray app; anything else is the CLI."""

from __future__ import annotations

import codecs
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


def tray_args(args: Sequence[str]) -> list[str] | None:
    """The tray's own arguments when the command is `tray` (or there is none), else None.

    Its options may come before the word too: `token-monitor --debug tray`.
    """
    if not args:
        return []
    rest, before = list(args), []
    while rest and rest[0] != "tray":
        if rest[0] == "--debug":
            before.append(rest.pop(0))
        elif rest[0] == "--data-dir" and len(rest) > 1:
            before += [rest.pop(0), rest.pop(0)]
        else:
            return None
    return [*before, *rest[1:]] if rest else None


def tolerant_output() -> None:
    """Output that cannot fail: "?" for what a non-UTF-8 stream cannot show; closed = devnull.

    "—", "·" and "“" made every report exit 1 on an ASCII or cp437/cp1252 stream (Windows
    output piped to a file, PYTHONIOENCODING=ascii, a Latin-1 terminal).
    """
    if sys.stdout is None:  # closed (`>&-`): written output goes nowhere, as with print()
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (open until exit)
    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None) or "utf-8"
        if codecs.lookup(encoding).name != "utf-8" and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch without importing the UI unless the tray (or doctor's probe) needs it."""
    args = list(sys.argv[1:] if argv is None else argv)
    tolerant_output()
    if args == ["statusline"]:
        # Claude Code runs this on every update: the light module only (≤ 50 ms budget).
        from tray_app.cli.statusline_cmd import main as statusline

        return statusline()
    tray = tray_args(args)
    if tray is not None:
        menu_hint(os.environ)
        from tray_app.app import run_tray  # the UI needs a display: import only here

        return run_tray(tray)
    from tray_app.adapters import early_listing

    # A report lists every transcript: a forked child does it while the modules load.
    early_listing.start(args)
    import gc

    # Loading the modules builds tens of thousands of objects and no garbage: the cyclic
    # collector would only walk them again and again (~5 ms of every command). The CLI
    # turns it back on once the command's module is loaded, before the command runs.
    collecting = gc.isenabled()
    gc.disable()
    from tray_app.cli.deferred_methods import deferred

    # Dataclass methods other than __init__ compile when first called (~15 ms a command).
    with deferred():
        try:
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
            return cli_main(args, env, resume_gc=collecting)
        finally:
            early_listing.discard()  # (a command that ended before it listed)
            if collecting:  # (also after an early exit: help, a usage error)
                gc.enable()
