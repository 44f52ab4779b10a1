"""`model export|import|history|recommend`: profiles as a file, the change log, advice."""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from datetime import datetime
from math import inf
from pathlib import Path
from typing import Any

from tray_app.adapters import model_history
from tray_app.adapters.config import Settings, update_settings
from tray_app.adapters.locations import config_file
from tray_app.adapters.prices import load_price_table
from tray_app.adapters.small_files import read_small
from tray_app.cli import render as r
from tray_app.cli.dataset import load
from tray_app.cli.environment import CliError, Environment, ExitStatus
from tray_app.cli.limits_cmd import official_limits
from tray_app.usage.limits import compute_limit
from tray_app.usage.model_advice import Advice, advise, pressure
from tray_app.usage.model_select import (
    DEFAULT_PROFILES,
    ChoiceError,
    all_profiles,
    profile_name_ok,
    resolve_choice,
)
from tray_app.usage.official_limits import window_label

FORMAT = "token-monitor-model-profiles"
MAX_IMPORT_BYTES = 1_000_000
DAY = 86400.0


def emit(
    args: argparse.Namespace, env: Environment, payload: Any, text: str, short: str | None = None
) -> None:
    """JSON with --json; with --compact `short` (default: the first line); else the text."""
    if args.json:
        print(r.dumps(payload), file=env.stdout)
        return
    one = text.split("\n")[0] if short is None else short
    print(r.safe_lines(one if args.compact else text), file=env.stdout)


def export_profiles(args: argparse.Namespace, env: Environment, s: Settings) -> ExitStatus:
    """Write every profile (built-in and own) as a JSON file; "-" is stdout."""
    text = json.dumps(
        {"format": FORMAT, "version": 1, "profiles": all_profiles(s.model_profiles)}, indent=2
    )
    if args.arg == "-":
        print(text, file=env.stdout)
        return ExitStatus.OK
    target = Path(args.arg).expanduser()
    if target.exists() and not args.force:
        raise CliError(f"{target} exists; use --force to replace it", ExitStatus.USAGE)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:  # mkstemp makes it 0600
            out.write(text + "\n")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    emit(args, env, {"file": str(target)}, f"Profiles written to {target}")
    return ExitStatus.OK


def _read_import(path: Path) -> dict[str, str]:
    try:
        data = json.loads(read_small(path, MAX_IMPORT_BYTES).decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CliError(f"cannot read {path}: {exc}", ExitStatus.USAGE) from exc
    profiles = data.get("profiles") if isinstance(data, dict) else None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(profiles, dict):
        raise CliError(f"{path} is not a profiles file from `model export`", ExitStatus.USAGE)
    return profiles


def import_profiles(args: argparse.Namespace, env: Environment, s: Settings) -> ExitStatus:
    """Add the file's profiles to config.yaml (all or nothing; unknown models need --force)."""
    path = Path(args.arg).expanduser()
    incoming = _read_import(path)
    known = load_price_table(s.prices).models
    problems: list[str] = []
    for name, value in incoming.items():
        if not isinstance(name, str) or not profile_name_ok(name) or not isinstance(value, str):
            problems.append(f"{name!r}: not a profile name and model")
            continue
        try:
            resolve_choice(value, {}, known, args.force)
        except ChoiceError as exc:
            problems.append(f"{name}: {exc}")
    if problems:
        raise CliError("nothing imported: " + "; ".join(problems), ExitStatus.USAGE)
    own = {n: v for n, v in incoming.items() if DEFAULT_PROFILES.get(n) != v}
    merged = {**s.model_profiles, **own}
    update_settings(None, env=env.env, model_profiles=merged)
    payload = {"imported": sorted(own), "file": str(config_file(env.env))}
    emit(args, env, payload, f"Imported {len(own)} profile(s) into {config_file(env.env)}")
    return ExitStatus.OK


def history(
    args: argparse.Namespace, env: Environment, ledger: Path | None, s: Settings
) -> ExitStatus:
    """The model changes, newest first."""
    changes = model_history.recent(ledger, 100) if ledger is not None else []
    rows = [
        {
            "time": r.iso(c.ts),
            "kind": c.kind,
            "from": c.old,
            "to": c.new,
            "reason": c.reason,
            "until": r.iso(c.until),
            "source": c.source,
        }
        for c in changes
    ]
    tz = datetime.now().astimezone().tzinfo
    assert tz is not None
    table = r.table(
        ["Time", "Change", "From", "To", "Why"],
        [
            [
                r.local_time(c.ts, tz),
                f"{c.kind} ({c.source})",
                c.old or "default",
                c.new or "default",
                c.reason,
            ]
            for c in changes
        ],
    )
    short = "no model changes yet"
    if changes:
        c = changes[0]
        short = f"{c.kind} ({c.source}): {c.old or 'default'} → {c.new or 'default'}"
    emit(
        args, env, {"history": rows}, table if changes else "No model changes recorded yet.", short
    )
    return ExitStatus.OK


def _advice_json(a: Advice) -> dict[str, Any]:
    p = a.pressure
    return {
        "days": a.days,
        "cost_usd": r.round_usd(a.cost_usd),
        "unpriced_responses": a.unpriced,
        "cache_hit_ratio": a.cache_hit,
        "models": [
            {
                "model": m.model,
                "responses": m.responses,
                "total_tokens": m.tokens,
                "cost_usd": r.round_usd(m.cost_usd),
                "unpriced_responses": m.unpriced,
                "cache_hit_ratio": m.cache_hit,
            }
            for m in a.models
        ],
        "repriced": [
            {"as": x.alias, "priced_as": x.priced_as, "cost_usd": r.round_usd(x.cost_usd)}
            for x in a.repriced
        ],
        "limits": {
            "five_hour_peak_percent": p.peak_percent,
            "blocks_over_80": p.blocks_over,
            "blocks": p.blocks,
            "limit_hits": p.limit_hits,
            "official_now": dict(p.windows_now),
        },
        "suggestions": [
            {
                "rank": i + 1,
                "profile": x.profile,
                "model": x.value,
                "cost_usd": r.round_usd(x.cost_usd),
                "reason": x.reason,
            }
            for i, x in enumerate(a.suggestions)
        ],
    }


def _advice_text(a: Advice) -> str:
    pct = "—" if a.cache_hit is None else f"{a.cache_hit * 100:.0f} %"
    lines = [f"Last {a.days} days: ${a.cost_usd:,.2f} at API prices, cache hits {pct}"]
    if a.unpriced:
        lines.append(f"({a.unpriced} responses of unpriced models are not in the costs)")
    lines.append(r.table(
        ["Model", "Responses", "Tokens", "Cost", "Cache hits"],
        [[m.model, f"{m.responses:,}", f"{m.tokens:,}", f"${m.cost_usd:,.2f}",
          "—" if m.cache_hit is None else f"{m.cache_hit * 100:.0f} %"] for m in a.models],
    ))  # fmt: skip
    lines.append("The same usage re-priced: " + ", ".join(
        f"{x.alias} ${x.cost_usd:,.2f}" for x in a.repriced))  # fmt: skip
    p = a.pressure
    if p.peak_percent is not None and p.limit_is_real:
        lines.append(f"Fullest 5-hour block: {p.peak_percent:.0f} % of the limit; "
                     f"{p.blocks_over} of {p.blocks} blocks at 80 % or more; "
                     f"limit reached {p.limit_hits} times")  # fmt: skip
    if p.windows_now:
        now = ", ".join(f"{window_label(n)} {pct:.0f} %" for n, pct in p.windows_now)
        lines.append(f"Claude Code's own figures now: {now}")
    lines.append("")
    for i, x in enumerate(a.suggestions, 1):
        lines.append(f"{i}. {x.profile} ({x.value}): {x.reason}")
    if not a.suggestions:
        lines.append(f"No usage in the last {a.days} days: nothing to recommend yet.")
    return "\n".join(lines)


def recommend(args: argparse.Namespace, env: Environment, s: Settings) -> ExitStatus:
    """Cost per model, re-priced cost, limit pressure and a ranked suggestion."""
    data = load(args, env)
    since = env.now - args.days * DAY
    entries = data.between(since, inf)  # the last days only, read through the time index
    blocks = data.all_blocks(env.now)  # the ledger's block cache when it can
    limit = compute_limit(blocks, s.limit_mode, env.now, s.limit_tokens)
    recent = [b for b in blocks if b.end > since and b.start <= env.now]
    hits = sum(since <= n.timestamp <= env.now for n in data.resets)
    official = official_limits(env, data, blocks, limit).windows
    now = [(w.window, w.percent_now) for w in official if w.source == "official"]
    real = limit.source.trusted
    press = pressure(recent, limit.tokens, hits, [(n, p) for n, p in now if p is not None], real)
    profiles = all_profiles(s.model_profiles)
    advice = advise(entries, data.cost, data.prices, profiles, press, args.days)
    top = advice.suggestions[0] if advice.suggestions else None
    short = "no usage to judge" if top is None else f"suggested: {top.profile} ({top.value})"
    emit(args, env, _advice_json(advice), _advice_text(advice), short)
    return ExitStatus.OK
