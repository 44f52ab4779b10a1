"""Display and session-bus checks that the tray and `doctor` run before anything starts."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tray_app.ui.desktop_checks import display_problem, session_bus_problem

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux desktop")
ROOT = str(Path(__file__).resolve().parents[2])


def test_display_problem() -> None:
    assert display_problem({}) == (
        "DISPLAY and WAYLAND_DISPLAY are not set (start it from your desktop session)"
    )
    assert display_problem({"DISPLAY": ":0"}) is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}) is None


def test_session_bus_problem(tmp_path: Path) -> None:
    assert session_bus_problem({"DBUS_SESSION_BUS_ADDRESS": "unix:path=/x"}) is None
    said = session_bus_problem({"XDG_RUNTIME_DIR": str(tmp_path)})
    assert said is not None and said.startswith("no D-Bus session bus")
    (tmp_path / "bus").write_text("")  # a file is not the user bus
    assert session_bus_problem({"XDG_RUNTIME_DIR": str(tmp_path)}) is not None
    (tmp_path / "bus").unlink()
    with socket.socket(socket.AF_UNIX) as bus:
        bus.bind(str(tmp_path / "bus"))  # the systemd user bus GLib finds by itself
        assert session_bus_problem({"XDG_RUNTIME_DIR": str(tmp_path)}) is None


def _doctor(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PYTHONPATH": ROOT,
        "TOKEN_MONITOR_DB": str(tmp_path / "l.db"),
        "TOKEN_MONITOR_CONFIG": str(tmp_path / "none.yaml"),
        "XDG_RUNTIME_DIR": str(tmp_path),
        **extra,
    }
    (tmp_path / "claude").mkdir(exist_ok=True)
    done = subprocess.run(
        [sys.executable, "-m", "tray_app", "doctor", "--json", "--data-dir",
         str(tmp_path / "claude")],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    tray: dict[str, str] = json.loads(done.stdout)["tray"]
    return tray


def test_doctor_says_no_display_rather_than_tray_menu_yes(tmp_path: Path) -> None:
    tray = _doctor(tmp_path)
    assert tray["menu"].startswith("no display — DISPLAY and WAYLAND_DISPLAY are not set")
    assert tray["bus"].startswith("no D-Bus session bus")
    tray = _doctor(tmp_path, DISPLAY=":99", DBUS_SESSION_BUS_ADDRESS="unix:path=/x")
    assert not tray["menu"].startswith("no display") and "bus" not in tray
