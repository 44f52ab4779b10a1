"""User settings in `config.yaml`: validated key by key, written atomically and privately."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tray_app.adapters import config_values as v
from tray_app.adapters import locations
from tray_app.adapters.config_values import LOG_LEVELS, BadValue, Colors, LimitMode
from tray_app.adapters.small_files import read_small

log = logging.getLogger(__name__)

MAX_CONFIG_BYTES = 1 << 20  # a real config.yaml is a few KiB


@dataclass(frozen=True)
class Settings:
    """Everything the user can configure; the defaults are what a missing file means."""

    data_dirs: tuple[str, ...] = ()  # empty → Claude Code's default roots
    refresh_seconds: float = 30.0  # the periodic tick
    thresholds: tuple[int, ...] = (50, 80, 95)  # % of the block limit that alert
    limit_mode: LimitMode = "max"
    limit_tokens: int | None = None  # the custom limit
    notifications: bool = True
    notify_new_block: bool = False
    notify_projection: bool = True
    colors: Colors = field(default_factory=Colors)
    db_path: str | None = None
    log_level: str = "INFO"
    prices: Mapping[str, Mapping[str, float]] = field(default_factory=dict)  # USD/MTok
    timezone: str | None = None
    tracked_session: str | None = None  # None = follow the latest active session
    metrics_labels: Mapping[str, str] = field(default_factory=dict)  # user/host on /metrics
    budgets: Mapping[str, float] = field(default_factory=dict)  # USD per day/week/month
    budget_thresholds: tuple[int, ...] = (80, 100)  # % of a budget that alert
    webhook_url: str | None = None  # Slack/Discord incoming webhook; a secret, never logged
    model_profiles: Mapping[str, str] = field(default_factory=dict)  # name -> model (E)
    auto_switch: bool = False  # set new sessions' model from the limit windows
    auto_switch_percent: int = 80  # % of a limit window that triggers the switch
    project_aliases: Mapping[str, str] = field(default_factory=dict)  # cwd or dir name -> name
    official_max_age: float = 600.0  # seconds a status-line capture of the limits stays fresh
    statusline_items: tuple[str, ...] = ("block", "weekly", "reset", "burn", "cost")
    statusline_color: bool = False  # ANSI colours on the status line's percentages
    statusline_position: str = "append"  # our line after the user's own ("prepend": before)
    usage_api: bool = False  # opt-in: poll the account's usage endpoint (Claude Code's token)


_HEADER = "# Token Monitor settings. A bad value falls back to its default, with a warning.\n"


# Each key's parser and the comment written above it, in file order (the file is edited by hand).
_KEYS: dict[str, tuple[Callable[[object], object], str]] = {
    "data_dirs": (v.str_list, "Claude Code dirs to read; [] = ~/.claude and ~/.config/claude"),
    "refresh_seconds": (v.seconds, "seconds between periodic refreshes (1-3600)"),
    "thresholds": (v.thresholds, "alert when the 5-hour block passes these % of its limit"),
    "limit_mode": (v.limit_mode, "block limit when Claude Code reports none: max, p90 or custom"),
    "limit_tokens": (v.limit_tokens, "the limit in tokens for limit_mode: custom"),
    "notifications": (v.flag, "desktop notifications on or off"),
    "notify_new_block": (v.flag, "notify when a new 5-hour block starts"),
    "notify_projection": (v.flag, "notify when the current rate hits the limit before the reset"),
    "colors": (v.colors, "icon colours (#rrggbb) for ok, warn, danger and idle"),
    "db_path": (v.optional_str, "the usage ledger (SQLite); null = the platform data dir"),
    "log_level": (v.log_level, "DEBUG, INFO, WARNING, ERROR or CRITICAL"),
    "prices": (v.prices, "per-model price overrides in USD per million tokens"),
    "timezone": (v.timezone, "IANA zone for times shown (e.g. Europe/Paris); null = the system's"),
    "tracked_session": (v.optional_str, "session id to track; null = the latest active one"),
    "metrics_labels": (v.labels, "labels on /metrics: {user: ..., host: ...}; default login/host"),
    "budgets": (v.budgets, "cost budgets in USD: {daily: 10, weekly: 50, monthly: 150}"),
    "budget_thresholds": (v.thresholds, "alert when spending passes these % of a budget"),
    "webhook_url": (v.secret_str, "Slack/Discord incoming webhook for alerts; null = off"),
    "model_profiles": (
        v.profiles,
        "your model profiles besides best/balanced/cheap: {name: model}",
    ),
    "auto_switch": (v.flag, "switch new sessions to 'balanced' near a limit, back after its reset"),
    "auto_switch_percent": (v.percent, "% of a limit window at which auto_switch acts"),
    "project_aliases": (v.aliases, "names for projects in reports: {/path/or/folder: name}"),
    "official_max_age": (
        v.max_age,
        "seconds Claude Code's own limit figures stay fresh (60-86400)",
    ),
    "statusline_items": (v.items, "status line parts, in order: block, weekly, reset, burn, cost"),
    "statusline_color": (v.flag, "colour the status line's percentages"),
    "statusline_position": (v.position, "our status line after (append) or before (prepend) yours"),
    "usage_api": (v.flag, "poll the account's usage endpoint with Claude Code's sign-in (opt-in)"),
}


def _plain(value: object) -> object:
    """A setting as YAML-friendly builtins (lists, dicts), for messages and for saving."""
    if isinstance(value, Colors):
        return dataclasses.asdict(value)
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _from_mapping(data: Mapping[Any, Any], warnings: list[str]) -> Settings:
    defaults = Settings()
    values: dict[str, object] = {}
    for key, raw in data.items():
        if not isinstance(key, str) or key not in _KEYS:
            warnings.append(f"{key}: unknown setting, ignored")
            continue
        try:
            values[key] = _KEYS[key][0](raw)
        except BadValue as error:
            import yaml  # only for a bad value or a file: most commands never need it

            default = yaml.safe_dump(
                _plain(getattr(defaults, key)), default_flow_style=True, sort_keys=False
            )
            default = default.removesuffix("...\n").strip()
            warnings.append(f"{key}: {error}, got {raw!r}; using the default {default}")
    settings = dataclasses.replace(defaults, **values)  # type: ignore[arg-type]
    if settings.limit_mode == "custom" and settings.limit_tokens is None:
        warnings.append("limit_mode: custom needs limit_tokens; using max")
        settings = dataclasses.replace(settings, limit_mode="max")
    return settings


def _read_file(path: Path, warnings: list[str]) -> Settings:
    try:
        text = read_small(path, MAX_CONFIG_BYTES).decode("utf-8")
    except FileNotFoundError:
        return Settings()
    except (OSError, UnicodeDecodeError) as error:
        warnings.append(f"{path}: cannot read ({error}); using the defaults")
        return Settings()
    import yaml  # a command with no config file never loads the YAML library

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        warnings.append(f"{path}: not valid YAML ({error}); using the defaults")
        return Settings()
    if not isinstance(data, Mapping):
        if data is not None:  # None is an empty file, or only comments
            warnings.append(f"{path}: expected 'key: value' lines; using the defaults")
        return Settings()
    return _from_mapping(data, warnings)


def _apply_env(settings: Settings, env: Mapping[str, str], warnings: list[str]) -> Settings:
    level = env.get("TOKEN_MONITOR_LOG_LEVEL", "")
    if level.upper() in LOG_LEVELS:
        return dataclasses.replace(settings, log_level=level.upper())
    if level:
        warnings.append(f"TOKEN_MONITOR_LOG_LEVEL: expected a level like INFO, got {level!r}")
    return settings


def load_settings(
    path: Path | None = None, env: Mapping[str, str] = os.environ
) -> tuple[Settings, list[str]]:
    """Settings from the file (defaults where missing or bad) and the warnings; never raises."""
    warnings: list[str] = []
    settings = _read_file(path or locations.config_file(env), warnings)
    return _apply_env(settings, env, warnings), warnings


def dump_settings(settings: Settings) -> str:
    """The YAML text `save_settings` writes: header, then each key under its comment."""
    data = {f.name: _plain(getattr(settings, f.name)) for f in dataclasses.fields(Settings)}
    # One dump of the whole mapping (block style at the top, short lists inline), then a
    # comment above each top-level key: only top-level lines start at column 0 with "key:".
    import yaml

    text = yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True, width=100, default_flow_style=None
    )
    lines = [_HEADER]
    for line in text.splitlines(keepends=True):
        key = line.split(":", 1)[0]
        if key in _KEYS and not line.startswith(" "):
            lines.append(f"\n# {_KEYS[key][1]}\n")
        lines.append(line)
    return "".join(lines)


def save_settings(
    settings: Settings, path: Path | None = None, env: Mapping[str, str] = os.environ
) -> Path:
    """Write the settings atomically as a 0600 file; returns the path written."""
    target = path or locations.config_file(env)
    if target.is_symlink():
        # Keep a dotfiles-style symlink intact: replace the file it points at.
        target = target.resolve()
    folder = target.parent
    if not folder.exists() or folder == locations.config_file({}).parent:
        # Only our own folder is made private; a folder the user chose is left as it is.
        locations.private_dir(folder)
    import tempfile  # writing only: not on every report's start

    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:  # mkstemp creates it 0600
            out.write(dump_settings(settings))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def update_settings(
    path: Path | None = None, *, env: Mapping[str, str] = os.environ, **changes: Any
) -> Settings:
    """Load the file, apply `changes` (menu choices), save it; returns what load would now give."""
    target = path or locations.config_file(env)
    warnings: list[str] = []
    # Read without env overrides so that e.g. TOKEN_MONITOR_LOG_LEVEL never lands in the file.
    current = _read_file(target, warnings)
    if warnings and target.is_file():
        # Saving drops what could not be understood: keep the user's text next to it.
        backup = target.with_name(target.name + ".bak")
        import shutil  # writing only: not on every report's start

        shutil.copyfile(target, backup)
        backup.chmod(0o600)
        log.warning(
            "config had problems (%s); previous file kept as %s", "; ".join(warnings), backup
        )
    updated = dataclasses.replace(current, **changes)
    save_settings(updated, target)
    return _apply_env(updated, env, [])
