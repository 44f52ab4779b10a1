"""`token-monitor statusline install|uninstall|status`: Claude Code's statusLine, chained."""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
from pathlib import Path
from typing import Any

from tray_app.adapters.claude_settings import (
    SettingsError,
    read_settings,
    set_user_key,
    user_settings_path,
)
from tray_app.adapters.config import load_settings
from tray_app.adapters.rate_capture import CaptureStore
from tray_app.adapters.spool_files import SETUP, data_dir, read_json, write_json
from tray_app.cli.environment import CliError, Environment, ExitStatus
from tray_app.cli.statusline_cmd import main as run_statusline
from tray_app.usage.official_limits import age_text, window_label
from tray_app.usage.text_safety import clean

KEY = "statusLine"
REFRESH_SECONDS = 30  # Claude Code re-runs the status line this often while idle (≥ 2.1.97)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """`statusline [install|uninstall|status]` and the install options."""
    p.add_argument(
        "action",
        nargs="?",
        choices=["install", "uninstall", "status"],
        help="no action: read Claude Code's JSON on stdin and print the line",
    )
    p.add_argument(
        "--position",
        choices=["append", "prepend"],
        help="ours after (append) or before (prepend) your previous status line",
    )
    p.add_argument(
        "--refresh",
        type=int,
        metavar="SECONDS",
        default=REFRESH_SECONDS,
        help=f"refreshInterval for Claude Code (default {REFRESH_SECONDS})",
    )
    p.add_argument(
        "--command",
        dest="our_command",
        metavar="CMD",
        help="the command Claude Code should run (default: this token-monitor)",
    )


def our_command() -> str:
    """This installation's `token-monitor statusline`, by absolute path when known."""
    if getattr(sys, "frozen", False):  # the packaged app: the executable is token-monitor
        parts = [sys.executable, "statusline"]
    else:
        script = shutil.which("token-monitor", path=str(Path(sys.executable).parent))
        script = script or shutil.which("token-monitor")
        parts = (
            [script, "statusline"] if script else [sys.executable, "-m", "tray_app", "statusline"]
        )
    if os.name == "nt":
        return " ".join(f'"{p}"' if " " in p else p for p in parts)
    return shlex.join(parts)


def _setup_path(env: Environment) -> str:
    return os.path.join(data_dir(env.env), SETUP)


def _current(env: Environment) -> tuple[Path, dict[str, object]]:
    path = user_settings_path(env.env)
    try:
        data = read_settings(path)
    except SettingsError as exc:
        raise CliError(f"{exc}; left untouched — fix it and try again") from exc
    return path, data or {}


def _installed(setup: object) -> dict[str, Any] | None:
    """Our setup record when the status line is installed."""
    if isinstance(setup, dict) and isinstance(setup.get("installed"), dict):
        return setup
    return None


def _is_ours(value: object, command: object) -> bool:
    return isinstance(value, dict) and value.get("command") == command


def _install(args: argparse.Namespace, env: Environment) -> ExitStatus:
    if not 1 <= args.refresh <= 3600:
        raise CliError("--refresh: expected seconds 1-3600", ExitStatus.USAGE)
    path, data = _current(env)
    settings, _ = load_settings(env=env.env)
    ours = {
        "type": "command",
        "command": args.our_command or our_command(),
        "padding": 0,
        "refreshInterval": args.refresh,
    }
    old = _installed(read_json(_setup_path(env)))
    current = data.get(KEY)
    if old is not None and _is_ours(current, old["installed"].get("command")):
        # Installed again (new options): what to restore is still the user's own line.
        previous, had = old.get("previous"), old.get("had_key") is True
    else:
        previous, had = current, KEY in data  # remembered exactly, whatever its shape
    if _is_ours(previous, ours["command"]):
        previous, had = None, False  # never chain to ourselves
    setup = {
        "installed": ours,
        "previous": previous,
        "had_key": had,
        "settings_path": str(path),
        "position": args.position or settings.statusline_position,
        "items": list(settings.statusline_items),
        "color": settings.statusline_color,
    }
    write_json(_setup_path(env), setup)
    try:
        written = set_user_key(KEY, ours, env.env)
    except SettingsError as exc:
        if old is not None:
            write_json(_setup_path(env), old)
        else:
            os.unlink(_setup_path(env))
        raise CliError(f"{exc}; nothing changed") from exc
    print(f"Installed in {written}: {ours['command']}", file=env.stdout)
    if isinstance(previous, dict) and isinstance(previous.get("command"), str):
        where = "after" if setup["position"] == "append" else "before"
        print(
            f"Your previous status line still shows, ours {where} it: {clean(previous['command'])}",
            file=env.stdout,
        )
    return ExitStatus.OK


def _uninstall(env: Environment) -> ExitStatus:
    setup = _installed(read_json(_setup_path(env)))
    if setup is None:
        print("The token-monitor status line is not installed.", file=env.stdout)
        return ExitStatus.OK
    _, data = _current(env)
    if not _is_ours(data.get(KEY), setup["installed"].get("command")):
        raise CliError(
            "the statusLine in settings.json is no longer ours (changed by hand); left as it is"
        )
    restore = setup.get("previous") if setup.get("had_key") is True else None
    try:
        written = set_user_key(KEY, restore, env.env)
    except SettingsError as exc:
        raise CliError(f"{exc}; nothing changed") from exc
    os.unlink(_setup_path(env))
    what = "your previous status line" if restore is not None else "no status line (as before)"
    print(f"Uninstalled from {written}: restored {what}.", file=env.stdout)
    return ExitStatus.OK


def _status(env: Environment) -> ExitStatus:
    setup = _installed(read_json(_setup_path(env)))
    path, data = _current(env)
    current = data.get(KEY)
    lines = [f"Claude Code settings: {path}"]
    if setup is not None:
        ours = setup["installed"].get("command")
        still = _is_ours(current, ours)
        lines.append(
            f"Installed: {clean(str(ours))}"
            + ("" if still else " (but settings.json now has another)")
        )
        previous = setup.get("previous")
        if isinstance(previous, dict) and isinstance(previous.get("command"), str):
            lines.append(
                f"Chained: {clean(previous['command'])} (ours {setup.get('position', 'append')}ed)"
            )
    else:
        other = current.get("command") if isinstance(current, dict) else None
        shown = f" (current status line: {clean(str(other))})" if other else ""
        lines.append("Installed: no" + shown)
    store = CaptureStore(data_dir(env.env))
    store.refresh()
    for w in sorted(store.captures.values(), key=lambda w: w.name):
        lines.append(
            f"Last {window_label(w.name)} figure: {w.percent:g}% "
            f"({age_text(env.now - w.captured_at)})"
        )
    if not store.captures:
        lines.append("No figure received from Claude Code yet.")
    print("\n".join(lines), file=env.stdout)
    return ExitStatus.OK


def doctor_info(env: Environment) -> dict[str, Any]:
    """For `doctor`: installed or not, what is chained, and the newest official figure's age."""
    setup = _installed(read_json(_setup_path(env)))
    previous = None if setup is None else setup.get("previous")
    store = CaptureStore(data_dir(env.env))
    store.refresh()
    newest = max((w.captured_at for w in store.captures.values()), default=None)
    return {
        "installed": setup is not None,
        "chained": previous.get("command") if isinstance(previous, dict) else None,
        "last_capture_age_seconds": None if newest is None else round(env.now - newest, 1),
    }


def doctor_line(info: dict[str, Any]) -> str:
    """`installed, chaining …; last official figure 2 min ago`."""
    if not info["installed"]:
        text = "not installed (token-monitor statusline install)"
    else:
        text = "installed" + (f", chaining {clean(info['chained'])}" if info["chained"] else "")
    age = info["last_capture_age_seconds"]
    return text + (
        "; no official figure yet" if age is None else f"; last official figure {age_text(age)}"
    )


def cmd_statusline(args: argparse.Namespace, env: Environment) -> ExitStatus:
    """The status line itself (no action), or set it up in Claude Code's settings."""
    if args.action == "install":
        return _install(args, env)
    if args.action == "uninstall":
        return _uninstall(env)
    if args.action == "status":
        return _status(env)
    run_statusline(env=env.env)
    return ExitStatus.OK
