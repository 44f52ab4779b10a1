"""`token-monitor dashboard`: the live page on 127.0.0.1 with a per-run secret URL."""

from __future__ import annotations

import argparse
import webbrowser

from tray_app.adapters.instance import lock_path
from tray_app.cli.environment import Environment, ExitStatus
from tray_app.cli.serve_cmd import serve_until_stopped, start_web, wait_until_interrupted
from tray_app.web.handoff import ask_tray


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """dashboard's own options."""
    parser.add_argument(
        "--no-browser", action="store_true", help="only print the URL (with its secret)"
    )


def _tray_url(args: argparse.Namespace) -> str | None:
    """The running tray's page, unless other data, settings or another zone were asked for."""
    if args.data_dir or args.timezone or args.no_ledger or getattr(args, "config", None):
        return None
    try:
        return ask_tray(lock_path().parent)
    except OSError:
        return None


def cmd_dashboard(args: argparse.Namespace, env: Environment) -> ExitStatus:
    """Serve the dashboard until Ctrl+C; its URL (secret included) is stdout's first line.

    With the tray running, the tray serves it from its own snapshots (no second engine).
    """
    url = _tray_url(args)
    if url is not None:
        print(url, file=env.stdout, flush=True)
        if not args.no_browser:
            webbrowser.open(url)
        wait_until_interrupted()  # the page lives as long as the tray
        return ExitStatus.OK
    runtime, server, _ = start_web(args, env, dashboard=True, metrics=False)
    print(server.dashboard_url, file=env.stdout, flush=True)
    if not args.no_browser:
        webbrowser.open(server.dashboard_url)
    serve_until_stopped(runtime, server)
    return ExitStatus.OK
