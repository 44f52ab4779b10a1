"""The tray's "Model for new sessions" submenu as plain rows, and what the controller does."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from tray_app.adapters import model_history, model_store
from tray_app.adapters.claude_settings import SettingsError
from tray_app.adapters.prices import load_price_table
from tray_app.service.model_auto import switch_input
from tray_app.service.snapshot import Snapshot
from tray_app.usage.model_select import MENU_ALIASES, ChoiceError, all_profiles, resolve_choice
from tray_app.usage.model_switch import LastChange, SwitchRule, hold_until, triggers
from tray_app.usage.text_safety import clean

log = logging.getLogger(__name__)
DEFAULT_ARG = "default"
TITLE = "Model for new sessions"


@dataclass(frozen=True, slots=True)
class ModelMenuState:
    """What the submenu shows: the user's `model`, the profiles, auto-switch, a note."""

    value: str | None = None  # the user settings.json `model` (None = Claude Code's default)
    profiles: tuple[tuple[str, str], ...] = ()  # (name, model), built-in first
    auto_switch: bool = False
    note: str = ""  # e.g. "ANTHROPIC_MODEL overrides this"; "" = nothing to say


@dataclass(frozen=True, slots=True)
class Row:
    """One radio row: its text, what a click sets, and whether it is the current choice."""

    text: str
    arg: str
    checked: bool
    enabled: bool = True


def radio_rows(state: ModelMenuState) -> list[Row]:
    """Claude Code's default, the aliases, then the profiles; exactly one row is checked."""
    value = state.value
    rows = [Row("Claude Code's default", DEFAULT_ARG, value is None)]
    rows += [Row(alias, alias, value == alias) for alias in MENU_ALIASES]
    taken = value is None or value in MENU_ALIASES
    for name, model in state.profiles:
        mine = not taken and value == model
        taken = taken or mine
        rows.append(Row(f"Profile {name} ({clean(model, 40)})", name, mine))
    if not taken and value is not None:
        # A value set elsewhere (a full model id): shown, so the menu never lies about it.
        rows.append(Row(f"Other: {clean(value, 40)}", value, True, enabled=False))
    return rows


def menu_state(
    env: Mapping[str, str], user_profiles: Mapping[str, str], auto_switch: bool
) -> ModelMenuState:
    """The submenu's state from the settings files (never raises: a bad file is a note)."""
    profiles = tuple(all_profiles(user_profiles).items())
    note = ""
    try:
        value = model_store.user_model(env)
    except SettingsError as exc:
        value, note = None, f"settings.json unreadable: {exc.reason}"
    # The tray has no project folder: only what applies everywhere can override the user.
    wins = next((x for x in model_store.global_layers(env) if x.value is not None), None)
    if wins is not None and wins.kind != "user" and not note:
        where = wins.where if wins.kind == "env" else "managed settings"
        note = f"{where} sets {wins.value}: it overrides this"
    return ModelMenuState(value, profiles, auto_switch, clean(note, 80))


def choose(
    name: str,
    env: Mapping[str, str],
    user_profiles: Mapping[str, str],
    prices: Mapping[str, Mapping[str, float]],
    ledger: Path,
    now: float,
) -> str | None:
    """Apply a menu click; returns why it could not be done (None = done)."""
    known = load_price_table(prices).models
    try:
        choice = resolve_choice(name, all_profiles(user_profiles), known)
        change = model_history.last(ledger)
        last = (
            None
            if change is None
            else LastChange(change.kind, change.old, change.new, change.until)
        )
        model_store.apply(choice, env, ledger, now, source="tray", until=hold_until(last, now))
    except (ChoiceError, SettingsError) as exc:
        log.warning("model not changed: %s", exc)
        return str(exc)
    return None


def expected_model(state: ModelMenuState, kind: str, arg: str | None) -> ModelMenuState:
    """What a click asks for, shown at once (the controller confirms or corrects it)."""
    if kind == "auto_switch":
        return replace(state, auto_switch=arg == "on")
    if arg is None or arg == DEFAULT_ARG:
        return replace(state, value=None)
    return replace(state, value=dict(state.profiles).get(arg, arg))


def suggestion(state: ModelMenuState, snapshot: Snapshot | None, now: float) -> str:
    """A one-line hint when a limit is close and new sessions are not on `balanced` yet."""
    target = dict(state.profiles).get("balanced", "sonnet")
    rule = SwitchRule(True, target=target)
    if snapshot is None or state.value == target or state.value in rule.economical:
        return ""
    found = triggers(rule, switch_input(snapshot, state.value, now))
    if not found:
        return ""
    return clean(f"Suggested: balanced ({target}): {found[0][0]}", 80)
