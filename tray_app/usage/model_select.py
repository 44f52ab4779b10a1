"""Which model new Claude Code sessions use, and what a user may choose (pure, no I/O)."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from tray_app.usage.pricing import normalize_model

# Claude Code's own aliases (docs/model-manager.md and issue 11); `default` means "no preference".
ALIASES: tuple[str, ...] = (
    "default",
    "opus",
    "sonnet",
    "haiku",
    "opusplan",
    "sonnet[1m]",
    "opus[1m]",
    "best",
    "fable",
)
# The menu's radio items: the aliases a user picks, without `best` (the profile of that name).
MENU_ALIASES: tuple[str, ...] = ("opus", "sonnet", "haiku", "opusplan", "sonnet[1m]", "opus[1m]")
DEFAULT_PROFILES: Mapping[str, str] = {"best": "opus", "balanced": "sonnet", "cheap": "haiku"}
# The price-table model an alias stands for when usage is re-priced (newest of its family).
ALIAS_PRICED_AS: Mapping[str, str] = {
    "opus": "claude-opus-5",
    "opus[1m]": "claude-opus-5",
    "opusplan": "claude-opus-5",
    "best": "claude-opus-5",
    "sonnet": "claude-sonnet-5-5",
    "sonnet[1m]": "claude-sonnet-5-5",
    "haiku": "claude-haiku-4-5",
    "fable": "claude-fable-5",
}
ENV_VARS: tuple[str, ...] = ("ANTHROPIC_MODEL", "ANTHROPIC_DEFAULT_MODEL")
_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:@/\[\]-]{0,99}")
_PROFILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")  # as config.yaml accepts


class ChoiceError(ValueError):
    """A model or profile name that cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class Choice:
    """What to write as `model`: None removes the key (Claude Code's default)."""

    value: str | None
    profile: str | None = None  # the profile it came from, if any
    known: bool = True  # an alias or a model id the price table knows


def all_profiles(user: Mapping[str, str]) -> dict[str, str]:
    """The default profiles with the user's added or redefined ones."""
    return {**DEFAULT_PROFILES, **user}


def profile_name_ok(name: str) -> bool:
    """Whether `name` can be a profile (letters, digits, - _ . ; at most 40)."""
    return bool(_PROFILE_NAME.fullmatch(name))


def is_known(value: str, known_models: Collection[str]) -> bool:
    """Whether `value` is an alias or a model id priced in the table (any snapshot suffix)."""
    return value in ALIASES or normalize_model(value) in known_models


def resolve_choice(
    name: str, profiles: Mapping[str, str], known_models: Collection[str], force: bool = False
) -> Choice:
    """A profile name, alias or model id as the value to write; ChoiceError if refused."""
    name = name.strip()
    if name == "default":
        return Choice(None)
    if name in profiles:
        value = profiles[name]
        return Choice(None if value == "default" else value, name, is_known(value, known_models))
    if not _SAFE.fullmatch(name):
        raise ChoiceError(f"{name!r} is not a model name (letters, digits, - . [ ] only)")
    if is_known(name, known_models):
        return Choice(name)
    if force:
        return Choice(name, known=False)
    raise ChoiceError(
        f"unknown model {name!r}: not an alias ({', '.join(ALIASES)}), a profile "
        f"({', '.join(profiles)}) or a model id in the price table; use --force to set it anyway"
    )


@dataclass(frozen=True, slots=True)
class Layer:
    """One place a model can come from, highest precedence first (as the caller lists them)."""

    kind: str  # "env", "managed", "local", "project", "user"
    where: str  # the variable's name or the file's path
    value: str | None  # None = this place does not set it
    error: str | None = None  # a file that could not be read


@dataclass(frozen=True, slots=True)
class Effective:
    """The model new sessions start on, where it comes from, and what the user should know."""

    value: str | None  # None = Claude Code's default
    source: Layer | None  # None = nothing sets it
    user_value: str | None  # what the user settings.json says
    warnings: tuple[str, ...]


def effective_model(layers: Sequence[Layer]) -> Effective:
    """Apply Claude Code's precedence: the first layer that sets `model` wins."""
    winner = next((layer for layer in layers if layer.value is not None), None)
    user = next((layer for layer in layers if layer.kind == "user"), None)
    warnings: list[str] = []
    for layer in layers:
        if layer.error:
            warnings.append(f"{layer.where} could not be read: {layer.error}")
    if winner is not None and winner.kind != "user":
        shadowed = user.value if user is not None and user.value is not None else "default"
        what = "the variable" if winner.kind == "env" else f"the {winner.kind} settings file"
        warnings.append(
            f"{what} {winner.where} sets {winner.value!r}, which overrides your user setting "
            f"({shadowed}); while it applies, a change to your user setting has no effect"
        )
    return Effective(
        None if winner is None else winner.value,
        winner,
        None if user is None else user.value,
        tuple(warnings),
    )


def describe(value: str | None, profiles: Mapping[str, str]) -> str:
    """A model value as shown to the user, with the profile that names it."""
    if value is None:
        return "Claude Code's default"
    named = [p for p, v in profiles.items() if v == value]
    return f"{value} (profile {', '.join(named)})" if named else value
