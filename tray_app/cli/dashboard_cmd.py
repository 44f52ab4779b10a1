"""`token-monitor dashboard`: the live page on 127.0.0.1 with a per-run secret URL."""

from __future__ import annotations

import argparse
import webbrowser

from tray_app.cli.environment import Environment, ExitStatus
from tray_app.cli.serve_cmd import serve_until_stopped, start_web


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """dashboard's own options."""
    parser.add_argument(
        "--no-browser", action="store_true", help="only print the URL (with its secret)"
    )


def cmd_dashboard(args: argparse.Namespace, env: Environment) -> ExitStatus:
    """Serve the dashboard until Ctrl+C; its URL (secret included) is stdout's first line."""
    runtime, server, _ = start_web(args, env, dashboard=True, metrics=False)
    print(server.dashboard_url, file=env.stdout, flush=True)
    if not args.no_browser:
        webbrowser.open(server.dashboard_url)
    serve_until_stopped(runtime, server)
    return ExitStatus.OK
