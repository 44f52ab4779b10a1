"""The model for new sessions: read from every place Claude Code looks, write the user's."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from tray_app.adapters import model_history
from tray_app.adapters.claude_settings import (
    SettingsFile,
    read_layered,
    read_settings,
    set_user_key,
    user_settings_path,
)
from tray_app.adapters.model_history import ModelChange
from tray_app.usage.model_select import ENV_VARS, Choice, Effective, Layer, effective_model

MODEL_KEY = "model"


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _env_in_file(f: SettingsFile) -> list[Layer]:
    """`"env": {"ANTHROPIC_MODEL": …}` in a settings file acts like the variable itself."""
    block = f.data.get("env") if f.data is not None else None
    if not isinstance(block, Mapping):
        return []
    return [Layer("env", f"{name} in {f.path}", _text(block.get(name))) for name in ENV_VARS]


def model_layers(env: Mapping[str, str], cwd: Path, platform: str = sys.platform) -> list[Layer]:
    """Every place that can set the model, highest precedence first (docs/model-manager.md)."""
    files = read_layered(env, cwd, platform).files
    layers = [Layer("env", name, _text(env.get(name))) for name in ENV_VARS]
    for f in files:
        layers += _env_in_file(f)
    for f in files:
        value = _text(f.data.get(MODEL_KEY)) if f.data is not None else None
        layers.append(Layer(f.scope, str(f.path), value, f.error))
    return layers


def global_layers(env: Mapping[str, str], platform: str = sys.platform) -> list[Layer]:
    """The layers that apply in every folder: variables, managed policy, the user file."""
    layers = model_layers(env, Path(os.devnull), platform)  # no project has .claude there
    return [x for x in layers if x.kind in ("env", "managed", "user")]


def effective(env: Mapping[str, str], cwd: Path, platform: str = sys.platform) -> Effective:
    """The model new sessions started in `cwd` will use, with its source and warnings."""
    return effective_model(model_layers(env, cwd, platform))


def user_model(env: Mapping[str, str]) -> str | None:
    """The `model` value of the user settings.json (None: unset); SettingsError if unreadable."""
    data = read_settings(user_settings_path(env))
    return None if data is None else _text(data.get(MODEL_KEY))


def apply(
    choice: Choice,
    env: Mapping[str, str],
    ledger: Path | None,
    now: float,
    *,
    kind: str = "manual",
    source: str = "cli",
    reason: str = "",
    until: float | None = None,
    warn: Callable[[str], None] | None = None,
) -> tuple[Path, str | None]:
    """Write the choice into the user settings.json and record it; returns (file, old value).

    Raises SettingsError (MalformedSettings, ConcurrentEdit) with nothing written. `warn`
    hears when the change could not be recorded (the setting is written all the same).
    """
    old = user_model(env)
    written = set_user_key(MODEL_KEY, choice.value, env)
    if ledger is not None and old != choice.value:
        change = ModelChange(now, kind, old, choice.value, reason, until, source)
        if not model_history.record(ledger, change) and warn is not None:
            warn(f"the change is not recorded in `model history`: cannot write the ledger {ledger}")
    return written, old
