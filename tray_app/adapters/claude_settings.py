"""Claude Code's settings files: find, read in precedence order, and change one key safely."""

from __future__ import annotations

import json
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tray_app.adapters.small_files import read_small

Scope = Literal["managed", "local", "project", "user"]
BACKUP_SUFFIX = ".token-monitor.bak"
MAX_SETTINGS_BYTES = 16 << 20  # far above any real settings.json; /dev/zero stops here
_ATTEMPTS = 3

# Where an organisation's policy file lives (Claude Code's settings docs). Windows moved from
# ProgramData to Program Files; both are read, the newer first.
MANAGED_DIRS: dict[str, tuple[str, ...]] = {
    "linux": ("/etc/claude-code",),
    "darwin": ("/Library/Application Support/ClaudeCode",),
    "win32": ("C:\\Program Files\\ClaudeCode", "C:\\ProgramData\\ClaudeCode"),
}


class SettingsError(Exception):
    """A settings file that cannot be read or written; the message names the file."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class MalformedSettings(SettingsError):
    """The file is not a JSON object; it is reported and never overwritten."""


class ConcurrentEdit(SettingsError):
    """The file kept changing under us while we were writing; nothing was written."""


@dataclass(frozen=True)
class SettingsFile:
    """One settings file: its scope, path and keys (None = missing, or malformed: see error)."""

    scope: Scope
    path: Path
    data: Mapping[str, object] | None
    error: str | None = None


@dataclass(frozen=True)
class LayeredSettings:
    """Every settings file Claude Code reads, highest precedence first."""

    files: tuple[SettingsFile, ...]

    def winner(self, key: str) -> SettingsFile | None:
        """The file whose value of `key` Claude Code uses, or None when no file sets it."""
        return next((f for f in self.files if f.data is not None and key in f.data), None)

    def user(self) -> SettingsFile:
        """The user settings file (always present in `files`)."""
        return next(f for f in self.files if f.scope == "user")


def claude_config_dir(env: Mapping[str, str]) -> Path:
    """Claude Code's config dir: CLAUDE_CONFIG_DIR (its first entry if a list), else ~/.claude."""
    raw = env.get("CLAUDE_CONFIG_DIR", "").strip()
    if not raw:
        return Path(env.get("HOME") or Path.home()).expanduser() / ".claude"
    whole = Path(raw).expanduser()
    if "," not in raw or whole.is_dir():
        return whole
    # Token Monitor accepts a comma-separated list of data roots; Claude Code itself reads one
    # dir, and the first entry is the one a user would list as "theirs".
    first = Path(next(p.strip() for p in raw.split(",") if p.strip())).expanduser()
    # An entry may name the `projects/` dir itself: its settings are one level up.
    return first.parent if first.name == "projects" else first


def user_settings_path(env: Mapping[str, str]) -> Path:
    """The user `settings.json` (this may be a symlink or not exist yet)."""
    return claude_config_dir(env) / "settings.json"


def managed_settings_paths(platform: str = sys.platform) -> list[Path]:
    """Managed policy files, highest precedence first (drop-in fragments over the base)."""
    paths: list[Path] = []
    for folder in MANAGED_DIRS.get("linux" if platform.startswith("linux") else platform, ()):
        base = Path(folder)
        drop_ins = base / "managed-settings.d"
        # Fragments merge in name order on top of the base file, so the last name wins.
        try:
            names = sorted(
                (p for p in drop_ins.glob("*.json") if not p.name.startswith(".")), reverse=True
            )
        except OSError:
            names = []
        paths += [*names, base / "managed-settings.json"]
    return paths


def parse_settings(text: str, path: Path) -> dict[str, object]:
    """A settings file's keys in file order; MalformedSettings if it is not a JSON object."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise MalformedSettings(path, f"not valid JSON ({error})") from error
    if not isinstance(data, dict):
        raise MalformedSettings(path, "expected a JSON object at the top")
    return data


def read_settings(path: Path) -> dict[str, object] | None:
    """The file's keys, or None when it does not exist; raises SettingsError otherwise."""
    try:
        raw = read_small(path, MAX_SETTINGS_BYTES)
    except FileNotFoundError:
        return None
    except OSError as error:  # a directory, no permission, a loop of symlinks
        raise SettingsError(path, f"cannot read ({error.strerror or error})") from error
    try:
        text = raw.decode("utf-8-sig")  # a BOM from a Windows editor is still valid JSON
    except UnicodeDecodeError as error:
        raise MalformedSettings(path, "not UTF-8 text") from error
    return parse_settings(text, path)


def _load(scope: Scope, path: Path) -> SettingsFile:
    try:
        return SettingsFile(scope, path, read_settings(path))
    except SettingsError as error:
        return SettingsFile(scope, path, None, error.reason)


def read_layered(
    env: Mapping[str, str], cwd: Path, platform: str = sys.platform
) -> LayeredSettings:
    """Managed, local, project and user settings for sessions started in `cwd`; never raises."""
    files = [_load("managed", p) for p in managed_settings_paths(platform)]
    files.append(_load("local", cwd / ".claude" / "settings.local.json"))
    files.append(_load("project", cwd / ".claude" / "settings.json"))
    files.append(_load("user", user_settings_path(env)))
    return LayeredSettings(tuple(files))


def _indent(text: str) -> int | str:
    """The indent the file already uses (Claude Code writes 2 spaces), so a diff stays small."""
    for line in text.splitlines()[1:]:
        stripped = line.lstrip(" \t")
        if stripped and stripped != line:
            lead = line[: len(line) - len(stripped)]
            return "\t" if lead.startswith("\t") else len(lead)
    return 2


def _render(data: Mapping[str, object], old_text: str | None) -> bytes:
    indent = _indent(old_text) if old_text else 2
    return (json.dumps(data, indent=indent, ensure_ascii=False) + "\n").encode("utf-8")


def _temp_copy(folder: Path, name: str, content: bytes, mode: int) -> Path:
    """A synced temp file beside `folder/name` holding `content` with `mode`."""
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        else:  # Windows: only the read-only bit exists
            os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def _write_private(folder: Path, name: str, content: bytes, mode: int) -> None:
    """Write `folder/name` atomically with `mode` (temp file, fsync, replace)."""
    tmp = _temp_copy(folder, name, content, mode)
    try:
        os.replace(tmp, folder / name)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _snapshot(path: Path) -> tuple[bytes, os.stat_result] | None:
    try:
        return read_small(path, MAX_SETTINGS_BYTES), path.stat()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise SettingsError(path, f"cannot read ({error.strerror or error})") from error


def _same(a: tuple[bytes, os.stat_result] | None, b: tuple[bytes, os.stat_result] | None) -> bool:
    if a is None or b is None:
        return a is b
    return a[0] == b[0] and (a[1].st_mtime_ns, a[1].st_ino) == (b[1].st_mtime_ns, b[1].st_ino)


def set_key(
    path: Path,
    key: str,
    value: object | None,
    *,
    before_replace: Callable[[], None] | None = None,
) -> Path:
    """Set (or, with None, delete) one top-level key; returns the file actually written.

    A symlink is followed and its target replaced; every other key keeps its value and
    place; the file keeps its permissions (a new one is 0600); the previous content is kept
    as `<name>.token-monitor.bak`. A malformed file raises MalformedSettings untouched; a
    file that keeps changing while we write raises ConcurrentEdit. `before_replace` is a
    test seam that runs just before the final check. A folder or file we may not write
    raises SettingsError too.
    """
    try:
        return _set_key(path, key, value, before_replace)
    except OSError as error:
        raise SettingsError(path, f"cannot write ({error.strerror or error})") from error


def _set_key(
    path: Path, key: str, value: object | None, before_replace: Callable[[], None] | None
) -> Path:
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    if not target.parent.is_dir():
        if target != path:
            raise SettingsError(path, f"the symlink points into a missing folder {target.parent}")
        target.parent.mkdir(parents=True, mode=0o700)  # e.g. a fresh ~/.claude
    for _ in range(_ATTEMPTS):
        before = _snapshot(target)
        if before is not None and not stat.S_ISREG(before[1].st_mode):
            raise SettingsError(target, "not a regular file")
        old_text = None
        if before is not None:
            try:
                old_text = before[0].decode("utf-8-sig")
            except UnicodeDecodeError as error:
                raise MalformedSettings(target, "not UTF-8 text") from error
        data = parse_settings(old_text, target) if old_text is not None else {}
        if value is None and key not in data:
            return target
        if value is not None and key in data and data[key] == value:
            return target
        if value is None:
            del data[key]
        else:
            data[key] = value  # an existing key keeps its place; a new one goes last
        mode = stat.S_IMODE(before[1].st_mode) if before is not None else 0o600
        content = _render(data, old_text)
        if before is not None:
            _write_private(target.parent, target.name + BACKUP_SUFFIX, before[0], 0o600)
        tmp = _temp_copy(target.parent, target.name, content, mode)
        try:
            if before_replace is not None:
                before_replace()
            if _same(before, _snapshot(target)):
                os.replace(tmp, target)
                return target
        finally:
            tmp.unlink(missing_ok=True)  # a no-op once replaced
        # Someone else wrote meanwhile: redo our one change on top of their version.
    raise ConcurrentEdit(target, "it kept changing while we wrote; nothing was changed")


def set_user_key(key: str, value: object | None, env: Mapping[str, str]) -> Path:
    """Set (None deletes) one top-level key of the user settings.json; see `set_key`."""
    return set_key(user_settings_path(env), key, value)
