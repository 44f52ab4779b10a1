"""`token-monitor model`: see, set and get advice on the model new Claude Code sessions use."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from tray_app.adapters import model_history, model_store
from tray_app.adapters.claude_settings import BACKUP_SUFFIX, SettingsError, user_settings_path
from tray_app.adapters.config import Settings, load_settings
from tray_app.adapters.prices import load_price_table
from tray_app.cli import model_report
from tray_app.cli import render as r
from tray_app.cli.dataset import ledger_path
from tray_app.cli.environment import CliError, Environment, ExitStatus
from tray_app.usage.model_select import (
    ChoiceError,
    all_profiles,
    describe,
    resolve_choice,
)
from tray_app.usage.model_switch import LastChange, hold_until
from tray_app.usage.text_safety import clean

ACTIONS = ("show", "set", "unset", "profiles", "export", "import", "history", "recommend")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """`model [ACTION] [ARG] [--force] [--days N] [--project DIR]`."""
    p.add_argument("action", nargs="?", default="show", choices=ACTIONS, metavar="ACTION",
                   help=f"one of {', '.join(ACTIONS)} (default: show)")  # fmt: skip
    p.add_argument("arg", nargs="?", metavar="NAME|FILE", help="model/profile, or a file")
    p.add_argument("--force", action="store_true", help="accept an unknown model / overwrite")
    p.add_argument("--days", type=int, choices=(7, 30), default=7, help="recommend: 7 or 30")
    p.add_argument("--cwd", metavar="DIR", help="the project folder to check (default: here)")


def _settings(env: Environment) -> Settings:
    settings, problems = load_settings(env=env.env)
    for problem in problems:
        env.warn(f"config: {problem}")
    return settings


def _ledger(args: argparse.Namespace, env: Environment, s: Settings) -> Path | None:
    return None if args.no_ledger else ledger_path(env, s)


def _last(ledger: Path | None) -> LastChange | None:
    change = model_history.last(ledger) if ledger is not None else None
    return None if change is None else LastChange(change.kind, change.old, change.new, change.until)


def _show(args: argparse.Namespace, env: Environment, s: Settings) -> ExitStatus:
    cwd = Path(args.cwd or Path.cwd()).expanduser()
    eff = model_store.effective(env.env, cwd)
    profiles = all_profiles(s.model_profiles)
    src = eff.source
    payload = {
        "model": eff.value,
        "shown_as": describe(eff.value, profiles),
        "source": None if src is None else {"kind": src.kind, "where": src.where},
        "user_value": eff.user_value,
        "user_file": str(user_settings_path(env.env)),
        "project": str(cwd),
        "warnings": list(eff.warnings),
        "auto_switch": s.auto_switch,
    }
    where = "nothing sets it" if src is None else f"from {src.where}"
    lines = [f"New sessions: {describe(eff.value, profiles)} ({where})"]
    if src is None or src.kind != "user":
        lines.append(f"Your setting: {describe(eff.user_value, profiles)}")
    lines.append(f"Auto-switch: {'on' if s.auto_switch else 'off'}")
    lines += [f"warning: {w}" for w in eff.warnings]
    # One line each: a value from a settings file may hold a newline (clean makes it a space).
    model_report.emit(args, env, payload, "\n".join(clean(line) for line in lines))
    return ExitStatus.OK


def _set(args: argparse.Namespace, env: Environment, s: Settings, name: str) -> ExitStatus:
    profiles = all_profiles(s.model_profiles)
    known = load_price_table(s.prices).models
    try:
        choice = resolve_choice(name, profiles, known, args.force)
    except ChoiceError as exc:
        raise CliError(str(exc), ExitStatus.USAGE) from exc
    if choice.profile and not choice.known:
        env.warn(f"profile {choice.profile} names {choice.value!r}, which is not a known model")
    ledger = _ledger(args, env, s)
    until = hold_until(_last(ledger), env.now)
    try:
        written, old = model_store.apply(
            choice, env.env, ledger, env.now, until=until, warn=env.warn
        )
    except SettingsError as exc:
        raise CliError(f"{exc}; nothing was changed") from exc
    eff = model_store.effective(env.env, Path(args.cwd or Path.cwd()).expanduser())
    backup = written.with_name(written.name + BACKUP_SUFFIX)
    payload = {
        "model": choice.value,
        "previous": old,
        "file": str(written),
        "backup": str(backup) if backup.exists() else None,
        "held_until": r.iso(until),
        "warnings": list(eff.warnings),
    }
    text = [
        f"New sessions will use {describe(choice.value, profiles)} (was {describe(old, profiles)})."
    ]
    text.append(f"Written to {written}; running sessions keep their model.")
    if until is not None:
        when = datetime.fromtimestamp(until).strftime("%a %d %b %H:%M")
        text.append(f"Auto-switch leaves this choice alone until the reset ({when}).")
    text += [f"warning: {w}" for w in eff.warnings]
    model_report.emit(args, env, payload, "\n".join(clean(line) for line in text))
    return ExitStatus.OK


def _profiles(args: argparse.Namespace, env: Environment, s: Settings) -> ExitStatus:
    profiles = all_profiles(s.model_profiles)
    try:
        current = model_store.user_model(env.env)
    except SettingsError as exc:
        env.warn(str(exc))
        current = None
    rows = [
        {"name": n, "model": v, "own": n in s.model_profiles, "current": v == current}
        for n, v in profiles.items()
    ]
    cells = [
        [
            n,
            v,
            "config" if n in s.model_profiles else "built-in",
            "← current" if v == current else "",
        ]
        for n, v in profiles.items()
    ]
    table = r.table(["Profile", "Model", "Defined", ""], cells)
    short = " ".join(f"{n}={v}" for n, v in profiles.items())
    model_report.emit(args, env, {"profiles": rows}, table, short)
    return ExitStatus.OK


def cmd_model(args: argparse.Namespace, env: Environment) -> ExitStatus:
    """Dispatch one `model` action."""
    s = _settings(env)
    action = args.action
    if action in ("set", "export", "import") and not args.arg:
        raise CliError(f"model {action} needs a {'NAME' if action == 'set' else 'FILE'}",
                       ExitStatus.USAGE)  # fmt: skip
    if action == "show":
        return _show(args, env, s)
    if action == "set":
        return _set(args, env, s, args.arg)
    if action == "unset":
        return _set(args, env, s, "default")
    if action == "profiles":
        return _profiles(args, env, s)
    if action == "export":
        return model_report.export_profiles(args, env, s)
    if action == "import":
        return model_report.import_profiles(args, env, s)
    if action == "history":
        return model_report.history(args, env, _ledger(args, env, s), s)
    return model_report.recommend(args, env, s)
