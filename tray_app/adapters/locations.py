"""Where Token Monitor keeps its own files (platformdirs; env vars override)."""

from __future__ import annotations

import errno
import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

APP = "token-monitor"


def private_dir(path: Path) -> Path:
    """Create the missing part of `path` as directories only the user can enter (0700).

    A directory that already exists keeps its mode: it may be `/tmp`, `$HOME` or a shared
    folder the user named, and the app never chmods what it did not create.
    """
    missing: list[Path] = []
    probe = path
    while not os.path.lexists(probe) and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            continue  # made meanwhile by someone else: theirs, left as it is
        # Ours: exactly 0700 whatever the umask (a umask can only narrow mkdir's mode).
        os.chmod(folder, 0o700)
    if not path.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "not a directory", str(path))
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
