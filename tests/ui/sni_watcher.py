"""A fake org.kde.StatusNotifierWatcher: `python -m tests.ui.sni_watcher ITEMS_FILE`.

With a watcher on the bus, libayatana-appindicator publishes the icon and its menu over
D-Bus (StatusNotifierItem + com.canonical.dbusmenu) instead of falling back to an XEmbed
icon, which lets a test read the menu's labels exactly. Each registered item is appended
to ITEMS_FILE as `bus_name object_path`; "ready" is printed once the name is owned.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

NAME = "org.kde.StatusNotifierWatcher"
PROPS = "org.freedesktop.DBus.Properties"


class Watcher(dbus.service.Object):  # type: ignore[misc]
    """Accepts every item and reports a host, so indicators stay on D-Bus."""

    def __init__(self, bus: Any, items_file: Path) -> None:
        self._bus_name = dbus.service.BusName(NAME, bus)  # held: dropping it frees the name
        super().__init__(bus, "/StatusNotifierWatcher")
        self._file = items_file
        self._items: list[str] = []

    @dbus.service.method(NAME, in_signature="s", sender_keyword="sender")  # type: ignore[misc]
    def RegisterStatusNotifierItem(self, service: str, sender: str = "") -> None:
        bus_name, path = (
            (sender, service) if service.startswith("/") else (service, "/StatusNotifierItem")
        )
        self._items.append(f"{bus_name}{path}")
        with self._file.open("a") as f:
            f.write(f"{bus_name} {path}\n")
        self.StatusNotifierItemRegistered(f"{bus_name}{path}")

    @dbus.service.method(NAME, in_signature="s")  # type: ignore[misc]
    def RegisterStatusNotifierHost(self, service: str) -> None:
        pass

    @dbus.service.signal(NAME, signature="s")  # type: ignore[misc]
    def StatusNotifierItemRegistered(self, item: str) -> None:
        pass

    @dbus.service.method(PROPS, in_signature="ss", out_signature="v")  # type: ignore[misc]
    def Get(self, interface: str, prop: str) -> Any:
        return self.GetAll(interface)[prop]

    @dbus.service.method(PROPS, in_signature="s", out_signature="a{sv}")  # type: ignore[misc]
    def GetAll(self, interface: str) -> dict[str, Any]:
        return {
            "RegisteredStatusNotifierItems": dbus.Array(self._items, signature="s"),
            "IsStatusNotifierHostRegistered": True,
            "ProtocolVersion": dbus.Int32(0),
        }


def main() -> int:
    """Own the watcher name until killed."""
    DBusGMainLoop(set_as_default=True)
    watcher = Watcher(dbus.SessionBus(), Path(sys.argv[1]))
    print("ready", flush=True)
    GLib.MainLoop().run()
    del watcher
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
