"""Where Token Monitor keeps its own files (platformdirs; env vars override)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

APP = "token-monitor"


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) as a directory only the user can enter (0700)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    # A directory we do not own (e.g. a shared mount) is used as it is.
    with contextlib.suppress(OSError):
        path.chmod(0o700)
    return path


def config_file(env: Mapping[str, str] = os.environ) -> Path:
    """`config.yaml` in the platform config dir; `TOKEN_MONITOR_CONFIG` overrides."""
    if env.get("TOKEN_MONITOR_CONFIG"):
        return Path(env["TOKEN_MONITOR_CONFIG"]).expanduser()
    return Path(platformdirs.user_config_dir(APP, appauthor=False)) / "config.yaml"


def data_dir() -> Path:
    """The platform data dir (the ledger lives here)."""
    return Path(platformdirs.user_data_dir(APP, appauthor=False))


def db_file(env: Mapping[str, str] = os.environ, configured: str | None = None) -> Path:
    """The ledger: `TOKEN_MONITOR_DB`, else the config's `db_path`, else the data dir."""
    if env.get("TOKEN_MONITOR_DB"):
        return Path(env["TOKEN_MONITOR_DB"]).expanduser()
    if configured:
        return Path(configured).expanduser()
    return data_dir() / "ledger.sqlite3"


def log_dir() -> Path:
    """The platform log dir."""
    return Path(platformdirs.user_log_dir(APP, appauthor=False))
