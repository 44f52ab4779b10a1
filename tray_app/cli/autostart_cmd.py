"""`token-monitor autostart enable|disable|status` and the `tray` placeholder."""

from __future__ import annotations

import argparse

from tray_app.adapters import autostart
from tray_app.cli.environment import CliError, Environment, ExitStatus
from tray_app.cli.render import dumps


def cmd_autostart(args: argparse.Namespace, env: Environment) -> ExitStatus:
    """Launch at login: enable, disable or show (never changed unless asked)."""
    if args.action == "enable":
        where = autostart.enable()
        print(f"Launch at login enabled: {where}", file=env.stdout)
    elif args.action == "disable":
        removed = autostart.disable()
        said = "Launch at login disabled" + ("" if removed else " (it was not enabled)")
        print(said, file=env.stdout)
    else:
        st = autostart.status()
        if args.json:
            payload = {"enabled": st.enabled, "location": st.location,
                       "command": st.command, "detail": st.detail}  # fmt: skip
            print(dumps(payload), file=env.stdout)
        else:
            state = "enabled" if st.enabled else "disabled"
            print(f"Launch at login {state} ({st.location}) {st.detail}".rstrip(), file=env.stdout)
    return ExitStatus.OK


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The action argument."""
    parser.add_argument("action", choices=["enable", "disable", "status"], nargs="?",
                        default="status")  # fmt: skip


def cmd_tray(args: argparse.Namespace, env: Environment) -> ExitStatus:
    """Listed for --help; the launcher starts the tray before the CLI parses anything."""
    raise CliError("start the tray with `token-monitor` or `token-monitor tray`", ExitStatus.USAGE)
