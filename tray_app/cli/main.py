"""`token-monitor` command line: parse arguments, run one command, map errors to exits."""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from tray_app import __version__
from tray_app.adapters.ledger_errors import LedgerError
from tray_app.cli import options as o
from tray_app.cli.environment import CliError, Environment, ExitStatus
from tray_app.usage.text_safety import clean

Command = Callable[[argparse.Namespace, Environment], ExitStatus]
Configure = Callable[[argparse.ArgumentParser], None]
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
    """The built-in commands: `add(name, "module:function", help, options, configure)`.

    Functions are named, not imported: a run imports only its own command's module (and
    runs only its `configure`), so `--version` and `status` never load the web server.
    """
    add("status", "reports_cmd:cmd_status", "current block, today, 7 days and all time", o.BASIC)
    blocks = add("blocks", "blocks_cmd:cmd_blocks", "5-hour blocks and idle gaps", o.ROWS)
    which = blocks.add_mutually_exclusive_group()
    which.add_argument("--active", action="store_true", help="only the active block")
    which.add_argument("--recent", action="store_true", help="blocks of the last 3 days")
    blocks.add_argument(
        "--token-limit", type=o.token_limit, metavar="N|max|p90", help="the limit for %% columns"
    )
    sessions = (*o.ROWS, *o.PROJECTS)
    add("sessions", "sessions_list_cmd:cmd_sessions", "every session, most recent first", sessions)
    one = add("session", "sessions_cmd:cmd_session", "one session by name, id or id prefix",
              (*o.BASIC, "no_cost"))  # fmt: skip
    one.add_argument("session", metavar="ID|NAME")
    periods = (*o.ROWS, *o.PROJECTS)
    add("daily", "periods_cmd:cmd_periods", "usage per day in your timezone", periods)
    add("weekly", "periods_cmd:cmd_periods", "usage per week (Monday first)", periods)
    add("monthly", "periods_cmd:cmd_periods", "usage per month", periods)
    add("models", "models_cmd:cmd_models", "usage, share, cost and rates per model",
        (*o.BASIC, "no_cost", "project"))  # fmt: skip
    name = add("name", "manage_cmd:cmd_name", 'name a session ("" clears the name)', o.NAMING)
    name.add_argument("session", metavar="SESSION")
    name.add_argument("name", metavar="NAME")
    name.add_argument("--tag", action="append", metavar="T", help="a tag (repeatable)")
    name.add_argument("--description", metavar="D")
    export = add(
        "export", "manage_cmd:cmd_export", "every counted response as CSV or JSON", o.EXPORT
    )
    export.add_argument("--format", choices=["csv", "json"], help="csv (the default) or json")
    export.add_argument(
        "--period",
        choices=["responses", "daily", "weekly", "monthly"],
        default="responses",
        help="a row per response (default) or per period",
    )
    add("doctor", "manage_cmd:cmd_doctor", "check data dirs, bad lines, ledger and tray", o.CHECK)
    add("autostart", "autostart_cmd:cmd_autostart", "launch at login", ("json",),
        "autostart_cmd:add_arguments")  # fmt: skip
    add("tray", "autostart_cmd:cmd_tray", "start the tray app (the same as no command)", ())
    add("watch", "watch_cmd:cmd_watch", "live view until Ctrl+C (--json: one object per update)",
        (*o.OUTPUT, *o.SOURCE))  # fmt: skip
    add("serve", "serve_cmd:cmd_serve", "Prometheus /metrics (opt-in) until Ctrl+C", o.SOURCE,
        "serve_cmd:add_arguments")  # fmt: skip
    add("dashboard", "dashboard_cmd:cmd_dashboard", "the live dashboard in your browser",
        o.SOURCE, "dashboard_cmd:add_arguments")  # fmt: skip
    add("model", "model_cmd:cmd_model", "model for new sessions", (*o.OUTPUT, *o.SOURCE),
        "model_cmd:add_arguments")  # fmt: skip
    add("limits", "limits_cmd:cmd_limits", "every limit window: %, source, age, reset",
        (*o.OUTPUT, *o.SOURCE))  # fmt: skip
    add("roots", "roots_cmd:cmd_roots", "data roots the ledger holds responses from", ("json",))
    forget = add("forget-root", "roots_cmd:cmd_forget_root", "forget a data root's responses", ())
    forget.add_argument("dir", metavar="DIR", help="the root (a config dir or its projects/)")
    forget.add_argument("--yes", action="store_true", help="really forget (else only say what)")
    add("statusline", "statusline_setup:cmd_statusline", "Claude Code status line", (),
        "statusline_setup:add_arguments")  # fmt: skip


def _load(target: Callable[..., Any] | str) -> Any:
    """A function given as `module:name` (a module of tray_app.cli), imported on use."""
    if not isinstance(target, str):
        return target
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(f"tray_app.cli.{module}"), name)


def build_parser(
    used: Iterable[str] | None = None, only_used: bool = False
) -> argparse.ArgumentParser:
    """The parser. Only the commands named in `used` (all when None) get their options
    and run their `configure` (the one that imports their module); the others are listed,
    or with `only_used` left out (a parse that fails must be redone without it: its
    messages list every command)."""
    parser = _top_level()
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    wanted = None if used is None else set(used)
    sink: list[argparse.ArgumentParser] = []  # takes the left-out commands' own arguments

    def add(
        name: str,
        func: Command | str,
        help_: str,
        options: Iterable[str] = o.BASIC,
        configure: Configure | str | None = None,
    ) -> argparse.ArgumentParser:
        if only_used and wanted is not None and name not in wanted:
            # Each listed command is an ArgumentParser: ~0.2 ms apiece of every start.
            if not sink:
                sink.append(argparse.ArgumentParser(add_help=False, conflict_handler="resolve"))
            return sink[0]
        # argparse %-formats help strings (not descriptions): "50%" must not break --help.
        p = sub.add_parser(name, help=help_.replace("%", "%%"), description=help_)
        if wanted is not None and name not in wanted:
            # Not on the command line, so never parsed with: its name and help line only
            # (the ~300 shared options of every command were ~10 ms of each start).
            return p
        accepted = o.add_options(p, [*options, *o.GLOBAL])
        p.set_defaults(func=func, accepted_options=frozenset(accepted))
        if configure is not None:
            _load(configure)(p)
        return p

    _register(add)
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
        if not path.exists():
            raise CliError(f"--config: no such file: {path}", ExitStatus.USAGE)
        if not path.is_file():  # a folder, a FIFO, /dev/zero: never opened
            raise CliError(f"--config: not a regular file: {path}", ExitStatus.USAGE)
        env.env = {**env.env, "TOKEN_MONITOR_CONFIG": str(path)}
    if args.now:
        env.now = datetime.fromisoformat(args.now).timestamp()
    o.check_range(args, env)


def main(
    argv: Sequence[str] | None = None,
    env: Environment | None = None,
    resume_gc: bool = False,
) -> int:
    """Run one command; errors are one line on stderr (tracebacks with --debug).

    `resume_gc`: the launcher paused the cyclic collector for the start; it is turned on
    (everything loaded so far set aside for good) before the command runs.
    """
    env = env or Environment()
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    _configure_logging(debug)
    try:
        try:
            # Only the named commands (the help and every error list them all: redone).
            helped = "-h" in args_list or "--help" in args_list
            args = build_parser(args_list, only_used=not helped).parse_args(args_list)
        except CliError:
            args = build_parser(args_list).parse_args(args_list)
        if not getattr(args, "func", None):
            build_parser(()).print_help(env.stdout)
            return ExitStatus.OK
        prepare(args, env)
        command = _load(args.func)
        if resume_gc:
            gc.freeze()  # the modules just loaded live as long as the process
            gc.enable()
        return int(command(args, env))
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
