"""Every shared option, defined once: commands pick the ones they take by name."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from tray_app.cli.environment import CliError, Environment, ExitStatus
from tray_app.usage.formatting import parse_tokens

_DAY = r"(\d{4})-?(\d{2})-?(\d{2})"  # compiled on first use (re caches it)


def nonempty(text: str) -> str:
    """A value that must say something (`--project ""` is a mistake, not "any project")."""
    if not text.strip():
        raise argparse.ArgumentTypeError("empty value")
    return text


def date_arg(text: str) -> str:
    """YYYYMMDD, YYYY-MM-DD or an ISO-8601 time; days come back as YYYY-MM-DD."""
    text = nonempty(text).strip()
    day = re.fullmatch(_DAY, text)
    try:
        if day:
            return date(int(day[1]), int(day[2]), int(day[3])).isoformat()
        datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"not a date or time: {text!r} (use YYYYMMDD, YYYY-MM-DD or an ISO time)"
        ) from exc
    return text


def positive_int(text: str) -> int:
    """A count of 1 or more."""
    try:
        value = int(nonempty(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from exc
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, got {value}")
    return value


def token_limit(text: str) -> str | int:
    """`max`, `p90` or a number of tokens (`500000`, `500k`, `1.5M`)."""
    text = nonempty(text).strip().lower()
    if text in ("max", "p90"):
        return text
    tokens = parse_tokens(text)
    if tokens is None:
        raise argparse.ArgumentTypeError(f"expected max, p90 or a number of tokens, got {text!r}")
    return tokens


# name → (flags, add_argument keywords, default once parsed). Parsers get SUPPRESS as the
# default so that a value given before the command is not overwritten by the command's
# default; `fill_defaults` puts the real defaults in afterwards.
SPECS: dict[str, tuple[tuple[str, ...], dict[str, Any], Any]] = {
    "json": (("-j", "--json"), {"action": "store_true", "help": "stable JSON (see README)"}, False),
    "compact": (
        ("--compact",),
        {"action": "store_true", "help": "the narrow table (or one line where there is none)"},
        False,
    ),
    "since": (
        ("-s", "--since"),
        {"type": date_arg, "metavar": "DATE", "help": "from YYYYMMDD, YYYY-MM-DD or an ISO time"},
        None,
    ),
    "until": (
        ("-u", "--until"),
        {"type": date_arg, "metavar": "DATE", "help": "up to this day (inclusive) or time"},
        None,
    ),
    "last": (
        ("--last",),
        {"type": positive_int, "metavar": "N", "help": "only the N most recent rows"},
        None,
    ),
    "order": (
        ("-o", "--order"),
        {"choices": ["asc", "desc"], "help": "oldest first (asc) or newest first (desc)"},
        None,
    ),
    "breakdown": (
        ("-b", "--breakdown"),
        {"action": "store_true", "help": "a row per model under each row"},
        False,
    ),
    "no_cost": (("--no-cost",), {"action": "store_true", "help": "leave out costs"}, False),
    "instances": (
        ("-i", "--instances"),
        {"action": "store_true", "help": "group by project (the sessions' working dir)"},
        False,
    ),
    "project": (
        ("-p", "--project"),
        {"type": nonempty, "metavar": "NAME", "help": "only this project (alias, name or path)"},
        None,
    ),
    "timezone": (
        ("-z", "--timezone"),
        {"type": nonempty, "metavar": "TZ", "help": "IANA zone for days and clocks"},
        None,
    ),
    "data_dir": (
        ("--data-dir",),
        {
            "action": "append",
            "type": nonempty,
            "metavar": "DIR",
            "help": "Claude data dir (repeatable)",
        },
        None,
    ),
    "no_ledger": (
        ("--no-ledger",),
        {"action": "store_true", "help": "compute from the files only (no SQLite)"},
        False,
    ),
    "config": (
        ("--config",),
        {"type": nonempty, "metavar": "PATH", "help": "settings file instead of config.yaml"},
        None,
    ),
    "color": (
        ("--color",),
        {"action": "store_const", "const": True, "help": "colour even when piped"},
        None,
    ),
    "no_color": (
        ("--no-color",),
        {"action": "store_const", "const": False, "dest": "color", "help": "no colour"},
        None,
    ),
    "debug": (("--debug",), {"action": "store_true", "help": "tracebacks and debug logs"}, False),
    "now": (("--now",), {"help": argparse.SUPPRESS}, None),  # pins the clock for tests
}

# Taken by every command, before or after its name.
GLOBAL = ("config", "color", "no_color", "debug", "now")
# Where the data comes from.
SOURCE = ("timezone", "data_dir", "no_ledger")
OUTPUT = ("json", "compact")
WINDOW = ("since", "until")
# What a command registered with no option list takes (the pre-issue-13 common set).
BASIC = (*OUTPUT, *WINDOW, *SOURCE)
# Tables of rows over time.
ROWS = (*BASIC, "last", "order", "breakdown", "no_cost")
PROJECTS = ("instances", "project")
NAMING = ("json", "data_dir")
EXPORT = ("json", *WINDOW, *SOURCE)
CHECK = ("json", "data_dir", "no_ledger")
# Options that may also come before the command: everything above.
HOISTED = tuple(SPECS)
# Pairs that cannot be given together, wherever they appear (`--json --format json` agrees).
CONFLICTS = (("json", "compact", None), ("json", "format", "json"), ("active", "recent", None))


def dest(name: str) -> str:
    """The namespace attribute an option writes."""
    return str(SPECS[name][1].get("dest", name))


def add_options(
    parser: argparse.ArgumentParser, names: Iterable[str], shown: Iterable[str] | None = None
) -> set[str]:
    """Add the named options (json/compact exclusive); returns the attributes they set.

    Only `shown` ones (default: all) are listed by --help; the others still work.
    """
    names = list(dict.fromkeys(names))
    visible = set(names if shown is None else shown)
    group = parser.add_mutually_exclusive_group() if {"json", "compact"} <= set(names) else None
    colors = parser.add_mutually_exclusive_group() if {"color", "no_color"} <= set(names) else None
    for name in names:
        flags, kwargs, _ = SPECS[name]
        target: Any = parser
        if group is not None and name in OUTPUT:
            target = group
        elif colors is not None and name in ("color", "no_color"):
            target = colors
        if name not in visible:
            kwargs = {**kwargs, "help": argparse.SUPPRESS}
        target.add_argument(*flags, default=argparse.SUPPRESS, **kwargs)
    return {dest(n) for n in names}


def fill_defaults(args: argparse.Namespace) -> None:
    """Every shared attribute exists after parsing (commands may read any of them)."""
    for name, (_, _, default) in SPECS.items():
        if not hasattr(args, dest(name)):
            setattr(args, dest(name), default)


def flag_of(name: str) -> str:
    """The long flag users type for an attribute (for error messages)."""
    for spec_name, (flags, _, _) in SPECS.items():
        if dest(spec_name) == name:
            return flags[-1]
    return "--" + name.replace("_", "-")


def check(args: argparse.Namespace, accepted: set[str]) -> str | None:
    """Why these options cannot go together (or with this command), or None."""
    given: Mapping[str, Any] = vars(args)
    for a, b, agrees in CONFLICTS:
        if given.get(a) not in (None, False) and given.get(b) not in (None, False, agrees):
            return f"{flag_of(a)} and {flag_of(b)} cannot be used together"
    for name in HOISTED:
        key = dest(name)
        if key in given and key not in accepted:
            return f"`{args.command}` does not take {flag_of(key)}"
    return None


def check_range(args: argparse.Namespace, env: Environment) -> None:
    """`--since` after `--until` is a mistake to report, not an empty table."""
    if not (args.since and args.until):
        return
    from tray_app.cli.time_args import local_tz, parse_when

    tz = local_tz(args.timezone)
    if parse_when(args.since, tz) >= parse_when(args.until, tz, end_of_day=True):
        raise CliError(
            f"--since {args.since} is after --until {args.until} (see --help)", ExitStatus.USAGE
        )
