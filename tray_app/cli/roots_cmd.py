"""`token-monitor roots` and `forget-root DIR`: the data roots the ledger remembers."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tray_app.adapters import roots_ledger as rl
from tray_app.adapters.config import load_settings
from tray_app.adapters.discovery import find_roots
from tray_app.adapters.ledger import Ledger
from tray_app.cli import render as r
from tray_app.cli.dataset import open_ledger
from tray_app.cli.environment import CliError, Environment, ExitStatus
from tray_app.usage.text_safety import clean


def remembered_json(ledger: Ledger) -> dict[str, Any]:
    """The roots the ledger remembers, for `roots --json` and `doctor`."""
    roots, unknown = rl.remembered(ledger)
    return {
        "remembered_roots": [
            {"root": i.root, "responses": i.responses, "only_here": i.only_here, "files": i.files}
            for i in roots
        ],
        "unknown_root_responses": unknown,
    }


def remembered_lines(ledger: Ledger) -> list[str]:
    """The same as text lines (one per root, then the unknown-root count if any)."""
    roots, unknown = rl.remembered(ledger)
    lines = [
        f"  {clean(i.root)}: {i.responses:,} responses ({i.only_here:,} only there), "
        f"{i.files:,} files"
        for i in roots
    ]
    if unknown:
        lines.append(
            f"  unknown root: {unknown:,} responses counted before roots were recorded whose "
            "files are gone (shown in every report)"
        )
    return lines or ["  none yet"]


def _ledger(env: Environment) -> Ledger:
    settings, problems = load_settings(env=env.env)
    for problem in problems:
        env.warn(f"config: {problem}")
    return open_ledger(env, settings)


def cmd_roots(args: argparse.Namespace, env: Environment) -> ExitStatus:
    """List the data roots the ledger holds responses from."""
    ledger = _ledger(env)
    try:
        if args.json:
            print(r.dumps(remembered_json(ledger)), file=env.stdout)
        else:
            print("Roots in the ledger", file=env.stdout)
            print("\n".join(remembered_lines(ledger)), file=env.stdout)
    finally:
        ledger.close()
    return ExitStatus.OK


def _match(given: str, known: list[str]) -> str | None:
    """The remembered root meant by DIR: the projects dir itself or its config dir."""
    path = Path(given).expanduser()
    wanted = {rl.root_id(path), rl.root_id(path / "projects")}
    return next((k for k in known if k in wanted), None)


def cmd_forget_root(args: argparse.Namespace, env: Environment) -> ExitStatus:
    """Say what forgetting a root removes; with --yes, remove it."""
    settings, problems = load_settings(env=env.env)
    for problem in problems:
        env.warn(f"config: {problem}")
    configured = {rl.root_id(d) for d in find_roots(settings.data_dirs, env.env).dirs}
    ledger = open_ledger(env, settings)
    try:
        known = [i.root for i in rl.remembered(ledger)[0]]
        root = _match(args.dir, known)
        if root is None:
            listed = ", ".join(known) or "none"
            raise CliError(
                f"the ledger remembers no root {args.dir!r} (remembered: {listed})",
                ExitStatus.NOT_FOUND,
            )
        plan = rl.plan_forget(ledger, root)
        print(_describe(plan, configured), file=env.stdout)
        if not args.yes:
            print("Nothing changed: run again with --yes to forget it.", file=env.stdout)
            return ExitStatus.OK
        rl.forget(ledger, root)
        print(f"Forgot {clean(root)}.", file=env.stdout)
    finally:
        ledger.close()
    return ExitStatus.OK


def _describe(plan: rl.Forget, configured: set[str]) -> str:
    lines = [
        f"Forgetting {clean(plan.root)} removes:",
        f"  {plan.responses:,} counted responses read only from it",
        f"  the read positions of {plan.files:,} files in it",
    ]
    if plan.shared:
        others = ", ".join(clean(o) for o in plan.rescan)
        lines.append(
            f"  and recounts {plan.shared:,} responses that also have copies in {others}: "
            "their files are read again on the next run that covers them"
        )
    if plan.root in configured:
        lines.append(
            "  note: it is one of the roots read by default (CLAUDE_CONFIG_DIR or the default "
            "dirs); the next run reads it again unless it is removed from there"
        )
    return "\n".join(lines)
