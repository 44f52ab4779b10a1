"""`token-monitor` command line: parse arguments, run one command, map errors to exits."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path

from tray_app import __version__
from tray_app.adapters.ledger_errors import LedgerError
from tray_app.cli import (
    autostart_cmd,
    blocks_cmd,
    limits_cmd,
    manage_cmd,
    model_cmd,
    models_cmd,
    periods_cmd,
    reports_cmd,
    roots_cmd,
    sessions_cmd,
    sessions_list_cmd,
    statusline_setup,
    watch_cmd,
)
from tray_app.cli import dashboard_cmd as dash_cmd
from tray_app.cli import options as o
from tray_app.cli import serve_cmd as srv_cmd
from tray_app.cli.environment import CliError, Environment, ExitStatus
from tray_app.usage.text_safety import clean

Command = Callable[[argparse.Namespace, Environment], ExitStatus]
Configure = Callable[[argparse.ArgumentParser], None]
Extras = dict[str, tuple[str, Command, Configure | None]]
Add = Callable[..., argparse.ArgumentParser]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise CliError(f"{message} (see --help)", ExitStatus.USAGE)


def _top_level() -> _Parser:
    parser = _Parser(
        prog="token-monitor",
        description="Claude Code usage: exact counts, 5-hour blocks, sessions and costs.",
        epilog="With no command, starts the tray app. `token-monitor COMMAND --help` lists "
        "a command's options; they may also come before COMMAND.",
    )
    parser.add_argument("--version", action="version", version=f"token-monitor {__version__}")
    o.add_options(parser, o.HOISTED, shown=(*o.GLOBAL, "json"))
    return parser


def _register(add: Add) -> None:
    """The built-in commands. `add(name, func, help, options)` → the command's parser."""
    add("status", reports_cmd.cmd_status, "current block, today, 7 days and all time", o.BASIC)
    blocks = add("blocks", blocks_cmd.cmd_blocks, "5-hour blocks and idle gaps", o.ROWS)
    which = blocks.add_mutually_exclusive_group()
    which.add_argument("--active", action="store_true", help="only the active block")
    which.add_argument("--recent", action="store_true", help="blocks of the last 3 days")
    blocks.add_argument(
        "--token-limit", type=o.token_limit, metavar="N|max|p90", help="the limit for %% columns"
    )
    sessions = (*o.ROWS, *o.PROJECTS)
    add("sessions", sessions_list_cmd.cmd_sessions, "every session, most recent first", sessions)
    one = add("session", sessions_cmd.cmd_session, "one session by name, id or id prefix",
              (*o.BASIC, "no_cost"))  # fmt: skip
    one.add_argument("session", metavar="ID|NAME")
    periods = (*o.ROWS, *o.PROJECTS)
    add("daily", periods_cmd.cmd_periods, "usage per day in your timezone", periods)
    add("weekly", periods_cmd.cmd_periods, "usage per week (Monday first)", periods)
    add("monthly", periods_cmd.cmd_periods, "usage per month", periods)
    add("models", models_cmd.cmd_models, "usage, share, cost and rates per model",
        (*o.BASIC, "no_cost", "project"))  # fmt: skip
    name = add("name", manage_cmd.cmd_name, 'name a session ("" clears the name)', o.NAMING)
    name.add_argument("session", metavar="SESSION")
    name.add_argument("name", metavar="NAME")
    name.add_argument("--tag", action="append", metavar="T", help="a tag (repeatable)")
    name.add_argument("--description", metavar="D")
    export = add("export", manage_cmd.cmd_export, "every counted response as CSV or JSON", o.EXPORT)
    export.add_argument("--format", choices=["csv", "json"], help="csv (the default) or json")
    add("doctor", manage_cmd.cmd_doctor, "check data dirs, bad lines, ledger and tray", o.CHECK)
    auto = add("autostart", autostart_cmd.cmd_autostart, "launch at login", ("json",))
    autostart_cmd.add_arguments(auto)
    add("tray", autostart_cmd.cmd_tray, "start the tray app (the same as no command)", ())
    add("watch", watch_cmd.cmd_watch, "live view until Ctrl+C (--json: one object per update)",
        (*o.OUTPUT, *o.SOURCE))  # fmt: skip
    srv_cmd.add_arguments(add("serve", srv_cmd.cmd_serve, "Prometheus /metrics", o.SOURCE))
    dash_cmd.add_arguments(add("dashboard", dash_cmd.cmd_dashboard, "live web page", o.SOURCE))
    mod = add("model", model_cmd.cmd_model, "model for new sessions", (*o.OUTPUT, *o.SOURCE))
    model_cmd.add_arguments(mod)
    add("limits", limits_cmd.cmd_limits, "every limit window: %, source, age, reset",
        (*o.OUTPUT, *o.SOURCE))  # fmt: skip
    add("roots", roots_cmd.cmd_roots, "data roots the ledger holds responses from", ("json",))
    forget = add("forget-root", roots_cmd.cmd_forget_root, "forget a data root's responses", ())
    forget.add_argument("dir", metavar="DIR", help="the root (a config dir or its projects/)")
    forget.add_argument("--yes", action="store_true", help="really forget (else only say what)")
    line = add("statusline", statusline_setup.cmd_statusline, "Claude Code status line", ())
    statusline_setup.add_arguments(line)


def build_parser(extra: Extras | None = None) -> argparse.ArgumentParser:
    """The full parser; `extra` adds commands from outer layers (tray, watch, autostart)."""
    parser = _top_level()
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def add(
        name: str, func: Command, help_: str, options: Iterable[str] = o.BASIC
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        accepted = o.add_options(p, [*options, *o.GLOBAL])
        p.set_defaults(func=func, accepted_options=frozenset(accepted))
        return p

    _register(add)
    for cmd, (help_, func, configure) in (extra or {}).items():
        p = add(cmd, func, help_)
        if configure is not None:
            configure(p)
    return parser


def _configure_logging(debug: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.ERROR,
        format="token-monitor: %(levelname)s: %(name)s: %(message)s",
    )


def prepare(args: argparse.Namespace, env: Environment) -> None:
    """Check what parsing cannot (conflicts anywhere on the line, ranges) and apply --config."""
    problem = o.check(args, set(args.accepted_options))
    if problem:
        raise CliError(f"{problem} (see --help)", ExitStatus.USAGE)
    o.fill_defaults(args)
    if args.config:
        path = Path(args.config).expanduser()
        if not path.is_file():
            raise CliError(f"--config: no such file: {path}", ExitStatus.USAGE)
        env.env = {**env.env, "TOKEN_MONITOR_CONFIG": str(path)}
    if args.now:
        env.now = datetime.fromisoformat(args.now).timestamp()
    o.check_range(args, env)


def main(
    argv: Sequence[str] | None = None,
    env: Environment | None = None,
    extra: Extras | None = None,
) -> int:
    """Run one command; errors are one line on stderr (tracebacks with --debug)."""
    env = env or Environment()
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    _configure_logging(debug)
    try:
        args = build_parser(extra).parse_args(args_list)
        if not getattr(args, "func", None):
            build_parser(extra).print_help(env.stdout)
            return ExitStatus.OK
        prepare(args, env)
        return int(args.func(args, env))
    except CliError as exc:
        print(f"token-monitor: error: {clean(str(exc))}", file=env.stderr)
        return int(exc.status)
    except LedgerError as exc:  # locked, disk full, I/O error while writing (A)
        print(f"token-monitor: error: {clean(str(exc))}", file=env.stderr)
        return ExitStatus.LEDGER
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return ExitStatus.OK  # e.g. `token-monitor export | head`
    except Exception as exc:
        if debug:
            raise
        said = clean(str(exc))
        print(f"token-monitor: error: {said} (run with --debug for details)", file=env.stderr)
        return ExitStatus.ERROR
