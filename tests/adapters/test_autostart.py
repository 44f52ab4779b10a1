"""Launch at login on all three platforms, each under a temporary home or a fake registry."""

from __future__ import annotations

import plistlib
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tray_app.adapters import autostart
from tray_app.adapters.autostart import (
    APPROVED_KEY,
    REG_BINARY,
    REG_SZ,
    RUN_KEY,
    launch_command,
)
from tray_app.adapters.command_line import exec_quote, exec_split, windows_split

NAME = "Token Monitor"


class FakeRegistry:
    """Records exactly what winreg would receive under HKEY_CURRENT_USER."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], tuple[object, int]] = {}
        self.calls: list[tuple[str, ...] | tuple[str, str, str, int, object]] = []

    def get(self, key: str, name: str) -> tuple[object, int] | None:
        """(data, type) or None."""
        return self.values.get((key, name))

    def set(self, key: str, name: str, kind: int, data: object) -> None:
        """Like SetValueEx."""
        self.calls.append(("set", key, name, kind, data))
        self.values[(key, name)] = (data, kind)

    def delete(self, key: str, name: str) -> bool:
        """Like DeleteValue; False when missing."""
        self.calls.append(("delete", key, name))
        return self.values.pop((key, name), None) is not None


@pytest.fixture
def program(tmp_path: Path) -> list[str]:
    """A real executable whose path needs quoting (a space and a percent sign)."""
    folder = tmp_path / "Token Monitor 100%"
    folder.mkdir()
    exe = folder / "token-monitor"
    exe.write_text("#!/bin/sh\nexit 0\n")
    exe.chmod(0o755)
    return [str(exe), "--tray", 'say "hi" $HOME']


def test_linux_entry_is_written_valid_and_read_back(tmp_path: Path, program: list[str]) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    path = autostart.enable(program, platform="linux", home=tmp_path, env=env)
    assert path == tmp_path / "xdg" / "autostart" / "token-monitor.desktop"
    assert isinstance(path, Path)
    # 0644, not 0600: the file holds nothing secret and some session managers read it as-is.
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    text = path.read_text(encoding="utf-8")
    for line in (
        "Type=Application",
        f"Name={NAME}",
        "Terminal=false",
        "X-GNOME-Autostart-enabled=true",
        "Icon=token-monitor",
        f"TryExec={program[0]}",
        'Exec="' + program[0].replace("%", "%%") + '" --tray "say \\\\"hi\\\\" \\\\$HOME"',
    ):
        assert line in text.splitlines()
    status = autostart.status(platform="linux", home=tmp_path, env=env)
    assert (status.enabled, status.command, status.location) == (True, program, str(path))
    validator = shutil.which("desktop-file-validate")
    if validator:  # desktop-file-utils; the Exec quoting above is what it checks hardest
        result = subprocess.run([validator, str(path)], capture_output=True, text=True)
        assert result.returncode == 0 and not result.stdout.strip(), result.stdout


def test_linux_default_dir_and_disable(tmp_path: Path, program: list[str]) -> None:
    env = {"XDG_CONFIG_HOME": "relative/is/ignored"}  # the spec: only absolute paths count
    path = autostart.enable(program, platform="linux", home=tmp_path, env=env)
    assert path == tmp_path / ".config" / "autostart" / "token-monitor.desktop"
    assert autostart.disable(platform="linux", home=tmp_path, env=env) is True
    assert not Path(path).exists()
    assert autostart.disable(platform="linux", home=tmp_path, env=env) is False
    status = autostart.status(platform="linux", home=tmp_path, env=env)
    assert (status.enabled, status.command, status.detail) == (False, None, "no autostart entry")


@pytest.mark.parametrize(
    ("edit", "detail"),
    [
        ("X-GNOME-Autostart-enabled=true", "X-GNOME-Autostart-enabled=false"),
        ("Terminal=false", "Hidden=true"),
        ("TryExec=", "TryExec=/nonexistent/token-monitor\nX-Old="),
    ],
)
def test_linux_entries_switched_off_elsewhere_read_as_disabled(
    tmp_path: Path, program: list[str], edit: str, detail: str
) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    path = Path(autostart.enable(program, platform="linux", home=tmp_path, env=env))
    path.write_text(path.read_text().replace(edit, detail, 1))
    status = autostart.status(platform="linux", home=tmp_path, env=env)
    assert status.enabled is False and status.command == program


def test_macos_launch_agent(tmp_path: Path) -> None:
    command = ["/Applications/Token Monitor.app/Contents/MacOS/Token Monitor"]
    path = autostart.enable(command, platform="darwin", home=tmp_path)
    assert path == tmp_path / "Library/LaunchAgents/io.github.token-monitor.plist"
    assert stat.S_IMODE(Path(path).stat().st_mode) == 0o644
    agent = plistlib.loads(Path(path).read_bytes())
    assert agent == {
        "Label": "io.github.token-monitor",
        "ProgramArguments": command,
        "RunAtLoad": True,
        "KeepAlive": False,
        "ProcessType": "Interactive",
    }
    assert autostart.status(platform="darwin", home=tmp_path).enabled is True
    agent["Disabled"] = True
    Path(path).write_bytes(plistlib.dumps(agent))
    assert autostart.status(platform="darwin", home=tmp_path).enabled is False
    assert autostart.disable(platform="darwin", home=tmp_path) is True
    assert autostart.status(platform="darwin", home=tmp_path).detail == "no autostart entry"


def test_macos_broken_plist_is_reported_not_raised(tmp_path: Path) -> None:
    path = Path(autostart.enable(["/x"], platform="darwin", home=tmp_path))
    path.write_bytes(b"<plist>broken")
    status = autostart.status(platform="darwin", home=tmp_path)
    assert status.enabled is False and status.detail.startswith("unreadable entry")


def test_windows_run_key_gets_a_quoted_reg_sz() -> None:
    registry = FakeRegistry()
    command = [r"C:\Program Files\Token Monitor\token-monitor.exe", "--tray"]
    where = autostart.enable(command, platform="win32", registry=registry)
    assert where == rf"HKCU\{RUN_KEY}\{NAME}"
    line = r'"C:\Program Files\Token Monitor\token-monitor.exe" --tray'
    assert registry.calls == [("set", RUN_KEY, NAME, REG_SZ, line)]
    assert RUN_KEY == r"Software\Microsoft\Windows\CurrentVersion\Run"
    status = autostart.status(platform="win32", registry=registry)
    assert (status.enabled, status.command) == (True, command)


def test_windows_task_manager_switch_is_respected() -> None:
    registry = FakeRegistry()
    autostart.enable(["C:\\tm.exe"], platform="win32", registry=registry)
    registry.values[(APPROVED_KEY, NAME)] = (bytes([3]) + bytes(11), REG_BINARY)
    status = autostart.status(platform="win32", registry=registry)
    assert (status.enabled, status.detail) == (False, "disabled in Task Manager")
    registry.values[(APPROVED_KEY, NAME)] = (bytes([2]) + bytes(11), REG_BINARY)
    assert autostart.status(platform="win32", registry=registry).enabled is True


def test_windows_enable_overrides_the_task_manager_switch_and_disable_removes() -> None:
    registry = FakeRegistry()
    registry.values[(APPROVED_KEY, NAME)] = (bytes([3]) + bytes(11), REG_BINARY)
    autostart.enable(["C:\\tm.exe"], platform="win32", registry=registry)
    assert autostart.status(platform="win32", registry=registry).enabled is True
    assert autostart.disable(platform="win32", registry=registry) is True
    assert registry.values == {}
    assert all(call[0] in ("set", "delete") for call in registry.calls)  # never "enabled=false"
    assert autostart.disable(platform="win32", registry=registry) is False
    assert autostart.status(platform="win32", registry=registry).detail == "not in the Run key"


def test_real_registry_is_windows_only() -> None:
    if sys.platform == "win32":
        pytest.skip("the real registry is not touched by tests")
    with pytest.raises(ImportError):
        autostart.WinRegistry()


def test_launch_command_matches_the_install(tmp_path: Path) -> None:
    python = tmp_path / "bin" / "python"
    python.parent.mkdir()
    python.touch()
    assert launch_command(executable=str(python), frozen=True) == [str(python)]
    module = [str(python), "-m", "tray_app"]
    assert launch_command(executable=str(python), frozen=False, platform="linux") == module
    (tmp_path / "bin" / "token-monitor").touch()
    script = [str(tmp_path / "bin" / "token-monitor")]
    assert launch_command(executable=str(python), frozen=False, platform="linux") == script
    (tmp_path / "bin" / "pythonw.exe").touch()
    windows = launch_command(executable=str(python), frozen=False, platform="win32")
    assert windows == [str(tmp_path / "bin" / "pythonw.exe"), "-m", "tray_app"]


def test_enable_defaults_to_the_launch_command(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    autostart.enable(platform="linux", home=tmp_path, env=env)
    assert autostart.status(platform="linux", home=tmp_path, env=env).command == launch_command()


args = st.lists(st.text(st.characters(codec="utf-8", exclude_characters="\0")))


@given(args.filter(bool))
def test_exec_quoting_round_trips(command: list[str]) -> None:
    assert exec_split(exec_quote(command)) == command


@given(args.filter(bool))
def test_windows_command_lines_round_trip(command: list[str]) -> None:
    assert windows_split(subprocess.list2cmdline(command)) == command


def test_frozen_windows_cli_twin_registers_the_windowed_exe(tmp_path: Path) -> None:
    from tray_app.adapters.autostart import launch_command

    (tmp_path / "token-monitor.exe").write_bytes(b"")
    (tmp_path / "token-monitor-cli.exe").write_bytes(b"")
    got = launch_command(executable=str(tmp_path / "token-monitor-cli.exe"), frozen=True)
    assert got == [str(tmp_path / "token-monitor.exe")]


def test_a_fifo_entry_is_reported_not_waited_on(tmp_path: Path) -> None:
    # The tray reads the entry for its menu: a FIFO there hung `autostart status` and the tray.
    import os
    import threading

    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    entry = tmp_path / "xdg" / "autostart" / "token-monitor.desktop"
    entry.parent.mkdir(parents=True)
    os.mkfifo(entry)
    got: list[autostart.AutostartStatus] = []
    worker = threading.Thread(
        target=lambda: got.append(autostart.status(platform="linux", home=tmp_path, env=env)),
        daemon=True,
    )
    worker.start()
    worker.join(5)
    assert got, "autostart status blocked on a FIFO"
    assert not got[0].enabled and "not a regular file" in got[0].detail
