"""What a desktop session must provide before a tray can start (Linux): display, D-Bus.

Checked up front so the user gets one clear line instead of a hang or a GLib traceback;
`doctor` reports the same facts.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Mapping


def display_problem(env: Mapping[str, str] = os.environ) -> str | None:
    """Why no tray can show here (Linux without DISPLAY/WAYLAND_DISPLAY), or None."""
    if not sys.platform.startswith("linux") or env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return "DISPLAY and WAYLAND_DISPLAY are not set (start it from your desktop session)"


def session_bus_problem(env: Mapping[str, str] = os.environ) -> str | None:
    """Why the GTK tray would find no D-Bus session bus (Linux), or None.

    Without an address GLib would try to autolaunch a private bus with dbus-launch: either
    that fails (no dbus-x11) or it leaves stray daemons behind, and nothing listens there.
    """
    if not sys.platform.startswith("linux") or env.get("DBUS_SESSION_BUS_ADDRESS", "").strip():
        return None
    runtime = env.get("XDG_RUNTIME_DIR", "")
    try:
        if runtime and stat.S_ISSOCK(os.stat(os.path.join(runtime, "bus")).st_mode):
            return None  # the systemd user bus, which GLib finds on its own
    except OSError:
        pass
    return (
        "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set): the tray menu and "
        "notifications need one; start Token Monitor from your desktop session or under "
        "dbus-run-session"
    )
