"""`token-monitor` command line: parse arguments, run one command, map errors to exits."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import datetime

from tray_app import __version__
from tray_app.cli import autostart_cmd, manage_cmd, reports_cmd, sessions_cmd, watch_cmd
from tray_app.cli.environment import CliError, Environment, ExitStatus

Command = Callable[[argparse.Namespace, Environment], ExitStatus]
Configure = Callable[[argparse.ArgumentParser], None]
Extras = dict[str, tuple[str, Command, Configure | None]]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise CliError(f"{message} (see --help)", ExitStatus.USAGE)


def _common() -> _Parser:
    common = _Parser(add_help=False)
    out = common.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="stable JSON (see README)")
    out.add_argument("--compact", action="store_true", help="one line")
    common.add_argument("--since", metavar="DATE", help="from YYYY-MM-DD or an ISO time")
    common.add_argument("--until", metavar="DATE", help="up to YYYY-MM-DD (inclusive)")
    common.add_argument("--timezone", metavar="TZ", help="IANA zone for days and clocks")
    common.add_argument(
        "--data-dir", action="append", metavar="DIR", help="Claude data dir (repeatable)"
    )
    common.add_argument(
        "--no-ledger", action="store_true", help="compute from the files only (no SQLite)"
    )
    common.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    common.add_argument("--now", help=argparse.SUPPRESS)  # pins the clock for tests
    return common


def build_parser(extra: Extras | None = None) -> argparse.ArgumentParser:
    """The full parser; `extra` adds commands from outer layers (tray, watch, autostart)."""
    common = _common()
    parser = _Parser(
        prog="token-monitor",
        description="Claude Code usage: exact counts, 5-hour blocks, sessions and costs.",
        epilog="With no command, starts the tray app.",
    )
    parser.add_argument("--version", action="version", version=f"token-monitor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def add(name: str, func: Command, help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help_, description=help_)
        p.set_defaults(func=func)
        return p

    add("status", reports_cmd.cmd_status, "current block, today, 7 days and all time")
    blocks = add("blocks", reports_cmd.cmd_blocks, "5-hour blocks and idle gaps")
    which = blocks.add_mutually_exclusive_group()
    which.add_argument("--active", action="store_true", help="only the active block")
    which.add_argument("--recent", action="store_true", help="blocks of the last 3 days")
    add("sessions", sessions_cmd.cmd_sessions, "every session, most recent first")
    one = add("session", sessions_cmd.cmd_session, "one session by name, id or id prefix")
    one.add_argument("session", metavar="ID|NAME")
    add("daily", reports_cmd.cmd_periods, "usage per day in your timezone")
    add("weekly", reports_cmd.cmd_periods, "usage per week (Monday first)")
    add("models", reports_cmd.cmd_models, "usage, share, cost and rates per model")
    name = add("name", manage_cmd.cmd_name, 'name a session ("" clears the name)')
    name.add_argument("session", metavar="SESSION")
    name.add_argument("name", metavar="NAME")
    name.add_argument("--tag", action="append", metavar="T", help="a tag (repeatable)")
    name.add_argument("--description", metavar="D")
    export = add("export", manage_cmd.cmd_export, "every counted response as CSV or JSON")
    export.add_argument("--format", choices=["csv", "json"], default="csv")
    add("doctor", manage_cmd.cmd_doctor, "check data dirs, bad lines, ledger and tray support")
    auto = add("autostart", autostart_cmd.cmd_autostart, "launch at login: enable|disable|status")
    autostart_cmd.add_arguments(auto)
    add("tray", autostart_cmd.cmd_tray, "start the tray app (the same as no command)")
    add("watch", watch_cmd.cmd_watch, "live view until Ctrl+C (--json: one object per update)")
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
        if args.now:
            env.now = datetime.fromisoformat(args.now).timestamp()
        return int(args.func(args, env))
    except CliError as exc:
        print(f"token-monitor: error: {exc}", file=env.stderr)
        return int(exc.status)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return ExitStatus.OK  # e.g. `token-monitor export | head`
    except Exception as exc:
        if debug:
            raise
        print(f"token-monitor: error: {exc} (run with --debug for details)", file=env.stderr)
        return ExitStatus.ERROR
