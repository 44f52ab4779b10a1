"""The AppIndicator backend over D-Bus: exact menu labels, states and clicks via dbusmenu."""

from __future__ import annotations

import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.ui.desktop import Desktop, die_with_parent
from tests.ui.factories import snapshot
from tests.ui.tray_process import ROOT, TrayProcess
from tray_app.ui.icon import render_icon

pytestmark = pytest.mark.display
dbus = pytest.importorskip("dbus", reason="dbus-python reads the menu over D-Bus")
SESSION = "0123456789abcdef"
ITEM = "org.kde.StatusNotifierItem"


@pytest.fixture
def watcher(desktop: Desktop, tmp_path: Path) -> Iterator[Path]:
    """A fake StatusNotifierWatcher for this test only (others need the XEmbed fallback)."""
    items = tmp_path / "items.txt"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.ui.sni_watcher", str(items)],
        cwd=ROOT, env=desktop.env, stdout=subprocess.PIPE, text=True,
        preexec_fn=die_with_parent,
    )  # fmt: skip
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 10.0)
    assert ready and proc.stdout.readline().strip() == "ready"
    yield items
    proc.terminate()
    proc.wait(timeout=10)


def layout_tree(node: Any) -> dict[str, Any]:
    """dbusmenu (id, props, children) as plain data."""
    item_id, props, children = node
    return {
        "id": int(item_id),
        "label": str(props.get("label", "")),
        "type": str(props.get("type", "standard")),
        "enabled": bool(props.get("enabled", True)),
        "toggle": str(props.get("toggle-type", "")),
        "state": int(props.get("toggle-state", -1)),
        "children": [layout_tree(child) for child in children],
    }


class DbusMenu:
    """The tray's menu as seen by a StatusNotifier host."""

    def __init__(self, desktop: Desktop, items: Path) -> None:
        deadline = time.monotonic() + 10
        while not (items.exists() and items.read_text().strip()):
            assert time.monotonic() < deadline, "the indicator never registered"
            time.sleep(0.1)
        self.bus_name, path = items.read_text().split()[:2]
        self.bus = dbus.bus.BusConnection(desktop.env["DBUS_SESSION_BUS_ADDRESS"])
        self.item = self.bus.get_object(self.bus_name, path)

    def props(self) -> dict[str, Any]:
        return dict(dbus.Interface(self.item, dbus.PROPERTIES_IFACE).GetAll(ITEM))

    def menu(self) -> Any:
        return dbus.Interface(
            self.bus.get_object(self.bus_name, self.props()["Menu"]), "com.canonical.dbusmenu"
        )

    def tree(self) -> list[dict[str, Any]]:
        _revision, root = self.menu().GetLayout(0, -1, dbus.Array([], signature="s"))
        return list(layout_tree(root)["children"])

    def click(self, *labels: str) -> None:
        """Click the item at this label path; ids change with every rebuild, so retry."""
        for attempt in range(5):
            nodes = self.tree()
            for label in labels:
                node = next(n for n in nodes if n["label"] == label)
                nodes = node["children"]
            try:
                self.menu().Event(
                    node["id"], "clicked", dbus.Int32(0, variant_level=1), dbus.UInt32(0)
                )
                return
            except dbus.DBusException:  # the menu was rebuilt between layout and click
                if attempt == 4:
                    raise
                time.sleep(0.2)


def test_menu_labels_states_and_clicks_over_dbus(
    desktop: Desktop, watcher: Path, tmp_path: Path
) -> None:
    tray = TrayProcess(desktop, tmp_path)
    try:
        assert tray.info["backend"] == "appindicator"
        tray.send(pct=85)
        host = DbusMenu(desktop, watcher)
        time.sleep(0.5)
        props = host.props()
        assert props["Status"] == "Active"
        assert str(props["Title"]).split("\n")[0] == "Block: 1.7M tok · 85% of p90 (2M)"
        with Image.open(str(props["IconName"])) as shown:  # pystray's PNG of our image
            assert shown.convert("RGBA").tobytes() == render_icon(snapshot(85)).tobytes()
        tree = host.tree()
        assert [(n["label"], n["type"], n["enabled"]) for n in tree] == [
            ("Block: 1.7M tok · 85% of p90 (2M)", "standard", False),
            ("Resets 03:00 (in 3 h)", "standard", False),
            ("Burn: 12k tok/min · $4.20/h", "standard", False),
            ("Projected: 2.1M tok · $12.34", "standard", False),
            ("Session (auto): refactor parser · 320k tok · $1.23", "standard", False),
            ("", "separator", True),
            ("Tracked session", "standard", True),
            ("Rename tracked session…", "standard", True),
            ("Limit", "standard", True),
            ("Model for new sessions", "standard", True),
            ("Budgets", "standard", True),
            ("", "separator", True),
            ("Notifications", "standard", True),
            ("Launch at login", "standard", True),
            ("Open dashboard", "standard", True),
            ("Open data folder", "standard", True),
            ("", "separator", True),
            ("Quit", "standard", True),
        ]
        by_label = {n["label"]: n for n in tree}
        assert (by_label["Notifications"]["toggle"], by_label["Notifications"]["state"]) == (
            "checkmark",
            1,
        )
        assert by_label["Launch at login"]["state"] == 0
        sessions = by_label["Tracked session"]["children"]
        assert [(n["label"], n["toggle"], n["state"]) for n in sessions] == [
            ("Latest active (automatic)", "radio", 1),
            ("refactor parser — 320k tok", "radio", 0),
            ("api · fedcba98 — 63k tok", "radio", 0),
        ]
        limits = by_label["Limit"]["children"]
        assert [(n["label"], n["state"]) for n in limits] == [
            ("Max of past blocks", 0),
            ("P90 of past blocks", 1),
            ("Custom…", 0),
        ]
        host.click("Tracked session", "refactor parser — 320k tok")
        host.click("Notifications")
        host.click("Limit", "Max of past blocks")
        assert tray.wait_calls(3) == [
            ["track_session", SESSION],
            ["set_notifications", False],
            ["set_limit", "max", None],
        ]
        time.sleep(0.5)
        after = {n["label"]: n for n in host.tree()}
        assert after["Notifications"]["state"] == 0  # shown before the app confirms
        assert [n["state"] for n in after["Limit"]["children"]] == [1, 0, 0]
    finally:
        assert tray.close() == 0, tray.log()
