"""Launch at login: an XDG autostart entry, a macOS LaunchAgent or the Windows Run key."""

from __future__ import annotations

import importlib
import os
import plistlib
import shutil
import subprocess
import sys
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypedDict, Unpack
from xml.parsers.expat import ExpatError

from tray_app.adapters.command_line import (
    exec_quote,
    exec_split,
    string_escape,
    string_unescape,
    windows_split,
)
from tray_app.adapters.small_files import read_small

APP_NAME = "Token Monitor"
MAX_ENTRY_BYTES = 1 << 20  # an entry is a few hundred bytes
DESKTOP_ID = "token-monitor"
LAUNCH_AGENT_LABEL = "io.github.token-monitor"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
APPROVED_KEY = r"Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run"
REG_SZ, REG_EXPAND_SZ, REG_BINARY = 1, 2, 3  # winreg's values, so that fakes work anywhere

_DESKTOP = """[Desktop Entry]
Type=Application
Version=1.0
Name={name}
Comment=Claude Code usage in the system tray
Exec={exec}
TryExec={try_exec}
Icon=token-monitor
Terminal=false
StartupNotify=false
X-GNOME-Autostart-enabled=true
"""


@dataclass(frozen=True)
class AutostartStatus:
    """Whether the app starts at login, from where, with which command."""

    enabled: bool
    location: str
    command: list[str] | None
    detail: str


def launch_command(
    *, executable: str | None = None, frozen: bool | None = None, platform: str = sys.platform
) -> list[str]:
    """The command that starts the tray the way the user installed it."""
    exe = Path(executable or sys.executable)  # never resolved: a venv's python is a symlink
    if getattr(sys, "frozen", False) if frozen is None else frozen:
        # The Windows build has a console twin for the CLI; login starts the windowed one.
        windowed = exe.with_name(exe.name.replace("-cli.exe", ".exe"))
        return [str(windowed if windowed.is_file() else exe)]
    script = exe.with_name("token-monitor.exe" if platform == "win32" else "token-monitor")
    if script.is_file():
        return [str(script)]
    if platform == "win32" and exe.with_name("pythonw.exe").is_file():
        exe = exe.with_name("pythonw.exe")  # no console window at every login
    return [str(exe), "-m", "tray_app"]


def _write(path: Path, data: bytes, mode: int) -> None:
    """Replace `path` atomically with `data` and permission `mode`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class _EntryFile(ABC):
    """An autostart entry that is one file; `_judge` gives (command, why it is off or None)."""

    path: Path

    def disable(self) -> bool:
        """Delete the entry; False if there was none."""
        existed = self.path.exists()
        self.path.unlink(missing_ok=True)
        return existed

    def status(self) -> AutostartStatus:
        """Read the entry back the way the platform will judge it at login."""
        try:
            command, off = self._judge(read_small(self.path, MAX_ENTRY_BYTES))
        except FileNotFoundError:
            return AutostartStatus(False, str(self.path), None, "no autostart entry")
        except (OSError, ValueError, ExpatError) as error:  # decoding, binary or XML plist
            return AutostartStatus(False, str(self.path), None, f"unreadable entry: {error}")
        enabled = command is not None and off is None
        return AutostartStatus(enabled, str(self.path), command, off or "starts at login")

    @abstractmethod
    def _judge(self, data: bytes) -> tuple[list[str] | None, str | None]: ...


class XdgAutostart(_EntryFile):
    """`$XDG_CONFIG_HOME/autostart/token-monitor.desktop` (0644: the session reads it)."""

    def __init__(self, home: Path, env: Mapping[str, str]) -> None:
        config = env.get("XDG_CONFIG_HOME", "")
        base = Path(config) if os.path.isabs(config) else home / ".config"  # the spec's rule
        self.path = base / "autostart" / f"{DESKTOP_ID}.desktop"

    def enable(self, command: list[str]) -> Path:
        """Write the entry; runners read it at the next login."""
        exec_line = string_escape(exec_quote(command))
        text = _DESKTOP.format(name=APP_NAME, exec=exec_line, try_exec=string_escape(command[0]))
        _write(self.path, text.encode(), 0o644)
        return self.path

    def _judge(self, data: bytes) -> tuple[list[str] | None, str | None]:
        # Only the keys of the first group matter (ours never has other groups).
        group = data.decode("utf-8").partition("[Desktop Entry]")[2].split("\n[", 1)[0]
        pairs = (line.split("=", 1) for line in group.splitlines() if "=" in line)
        entry = {k.strip(): v.strip() for k, v in pairs if not k.startswith("#")}
        command = exec_split(string_unescape(entry.get("Exec", ""))) or None
        try_exec = string_unescape(entry.get("TryExec", ""))
        hidden = entry.get("Hidden", "").lower() == "true"
        if hidden or entry.get("X-GNOME-Autostart-enabled", "").lower() == "false":
            return command, "switched off (Hidden or X-GNOME-Autostart-enabled=false)"
        if try_exec and not (os.path.isfile(try_exec) or shutil.which(try_exec)):
            return command, f"program missing: {try_exec}"
        return command, None


class LaunchAgent(_EntryFile):
    """`~/Library/LaunchAgents/io.github.token-monitor.plist`, read by launchd at login."""

    def __init__(self, home: Path) -> None:
        self.path = home / "Library" / "LaunchAgents" / f"{LAUNCH_AGENT_LABEL}.plist"

    def enable(self, command: list[str]) -> Path:
        """Write the agent; not loaded now (`launchctl load` would start a second copy)."""
        agent = {
            "Label": LAUNCH_AGENT_LABEL,
            "ProgramArguments": list(command),
            "RunAtLoad": True,
            "KeepAlive": False,  # quitting from the menu must stay quit
            "ProcessType": "Interactive",
        }
        _write(self.path, plistlib.dumps(agent), 0o644)
        return self.path

    def _judge(self, data: bytes) -> tuple[list[str] | None, str | None]:
        agent = plistlib.loads(data)
        agent = agent if isinstance(agent, dict) else {}
        args = agent.get("ProgramArguments")
        command = [str(a) for a in args] if isinstance(args, list) and args else None
        if agent.get("Disabled") is True or agent.get("RunAtLoad") is not True:
            return command, "RunAtLoad is off or the agent is disabled"
        return command, None


class Registry(Protocol):
    """The few HKEY_CURRENT_USER operations the Run key needs (None/False: not there)."""

    def get(self, key: str, name: str) -> tuple[object, int] | None: ...
    def set(self, key: str, name: str, kind: int, data: object) -> None: ...
    def delete(self, key: str, name: str) -> bool: ...


class WinRegistry:
    """`Registry` on the real HKEY_CURRENT_USER through winreg (Windows only)."""

    def __init__(self) -> None:
        # Imported here, not at the top: winreg exists only on Windows.
        self.reg: Any = importlib.import_module("winreg")

    def get(self, key: str, name: str) -> tuple[object, int] | None:
        with suppress(FileNotFoundError), self.reg.OpenKey(self.reg.HKEY_CURRENT_USER, key) as h:
            data, kind = self.reg.QueryValueEx(h, name)
            return data, kind
        return None

    def set(self, key: str, name: str, kind: int, data: object) -> None:
        with self.reg.CreateKeyEx(self.reg.HKEY_CURRENT_USER, key) as h:  # KEY_WRITE access
            self.reg.SetValueEx(h, name, 0, kind, data)

    def delete(self, key: str, name: str) -> bool:
        hkcu, write = self.reg.HKEY_CURRENT_USER, self.reg.KEY_SET_VALUE
        with suppress(FileNotFoundError), self.reg.OpenKey(hkcu, key, 0, write) as h:
            self.reg.DeleteValue(h, name)
            return True
        return False


class RunKey:
    """HKCU `...\\CurrentVersion\\Run` value "Token Monitor", honouring Task Manager."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.location = f"HKCU\\{RUN_KEY}\\{APP_NAME}"

    def enable(self, command: list[str]) -> str:
        """Write the Run value and clear a Task Manager "disabled" mark the user overrode."""
        self.registry.set(RUN_KEY, APP_NAME, REG_SZ, subprocess.list2cmdline(command))
        if self._approved_off():
            self.registry.delete(APPROVED_KEY, APP_NAME)  # no entry there means enabled
        return self.location

    def disable(self) -> bool:
        """Delete the Run value and its Task Manager mark; False if there was none."""
        self.registry.delete(APPROVED_KEY, APP_NAME)
        return self.registry.delete(RUN_KEY, APP_NAME)

    def _approved_off(self) -> bool:
        found = self.registry.get(APPROVED_KEY, APP_NAME)
        data = found[0] if found else b""
        # Explorer writes 02 (or 06) when enabled and 03 (or 07) when the user disabled it.
        return isinstance(data, bytes) and bool(data) and data[0] & 1 == 1

    def status(self) -> AutostartStatus:
        """Read the Run value and the Task Manager switch."""
        found = self.registry.get(RUN_KEY, APP_NAME)
        if found is None or found[1] not in (REG_SZ, REG_EXPAND_SZ):
            return AutostartStatus(False, self.location, None, "not in the Run key")
        command = windows_split(str(found[0])) or None
        off = "disabled in Task Manager" if self._approved_off() else None
        enabled = command is not None and off is None
        return AutostartStatus(enabled, self.location, command, off or "starts at login")


class Where(TypedDict, total=False):
    """Which machine to act on; the defaults are this one (tests pass the others)."""

    platform: str
    home: Path | None
    env: Mapping[str, str]
    registry: Registry | None


def backend(**where: Unpack[Where]) -> XdgAutostart | LaunchAgent | RunKey:
    """The mechanism for the platform (XDG for Linux and the BSDs)."""
    platform, home = where.get("platform", sys.platform), where.get("home") or Path.home()
    if platform == "win32":
        return RunKey(where.get("registry") or WinRegistry())
    if platform == "darwin":
        return LaunchAgent(home)
    return XdgAutostart(home, where.get("env", os.environ))


def enable(command: list[str] | None = None, **where: Unpack[Where]) -> Path | str:
    """Start the app at login with `command` (default: `launch_command()`); where it went."""
    cmd = command or launch_command(platform=where.get("platform", sys.platform))
    return backend(**where).enable(cmd)


def disable(**where: Unpack[Where]) -> bool:
    """Stop starting at login by removing the entry; False if there was none."""
    return backend(**where).disable()


def status(**where: Unpack[Where]) -> AutostartStatus:
    """Whether the app starts at login, as the platform will judge it."""
    return backend(**where).status()
