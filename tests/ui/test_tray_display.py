"""The tray on a real X display: docking, colours, menu, radio items, rename dialog, quit."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.desktop import Desktop
from tests.ui.tray_process import TrayProcess, share_near
from tray_app.ui.icon import DEFAULT_COLORS
from tray_app.ui.tray import xorg_destroy

pytestmark = pytest.mark.display
GREEN, YELLOW, AMBER, RED = DEFAULT_COLORS.levels
SESSION = "0123456789abcdef"


@pytest.fixture
def tray(desktop: Desktop, tmp_path: Path) -> Iterator[TrayProcess]:
    """The default backend choice (appindicator → gtk → xorg), closed afterwards."""
    proc = TrayProcess(desktop, tmp_path)
    yield proc
    proc.close()


def icon_shot(tray: TrayProcess) -> tuple[float, float, float]:
    """(green, amber, over-red) shares of the docked icon as it is on screen."""
    box = tray.icon().box
    crop = tray.desktop.screenshot().crop(box)
    return share_near(crop, GREEN), share_near(crop, AMBER), share_near(crop, DEFAULT_COLORS.over)


def open_menu(tray: TrayProcess) -> None:
    """Right-click the icon and wait for the menu window."""
    x, y = tray.icon().center
    tray.desktop.click(x, y, button=3)
    tray.wait_popups(1)
    time.sleep(0.3)  # the menu grabs the keyboard once it has mapped


@pytest.mark.parametrize("backend", ["appindicator", "gtk"])
def test_icon_docks_and_changes_colour_with_usage(
    desktop: Desktop, tmp_path: Path, backend: str
) -> None:
    tray = TrayProcess(desktop, tmp_path, backend)
    try:
        assert tray.info == {"backend": backend, "menu": True}
        tray.send(pct=30)
        time.sleep(0.5)
        green, amber, red = icon_shot(tray)
        assert green > 0.02 and amber == 0 and red < 0.01
        tray.send(pct=85)
        time.sleep(0.5)
        green, amber, red = icon_shot(tray)
        assert amber > 0.05 and green == 0 and red < 0.01
        tray.send(pct=110)
        time.sleep(0.5)
        green, amber, red = icon_shot(tray)
        assert red > 0.3 and green == 0 and amber == 0
        assert tray.icon().name.startswith("Block: 2.2M tok · 110% of p90 (2M)")
    finally:
        assert tray.close() == 0, tray.log()


def test_plain_x11_backend_docks_without_a_menu_and_says_why(
    desktop: Desktop, tmp_path: Path
) -> None:
    tray = TrayProcess(desktop, tmp_path, "xorg")
    try:
        assert tray.info == {"backend": "xorg", "menu": False}
        tray.send(pct=30)
        tray.send(pct=110)  # two images at once must not knock the icon out of the tray
        time.sleep(1.5)
        assert tray.icon().name == "Block: 2.2M tok · 110% of p90 (2M) Resets 03:00 (in 3 h) " + (
            "Burn: 12k tok/min · $4.20/h Projected: 2.1M tok · $12.34 "
            "Session (auto): refactor parser · 320k tok · $1.23"
        )
        assert icon_shot(tray)[2] > 0.3  # the over-limit red made it through
        assert "the xorg tray backend has no menu" in tray.log()
    finally:
        assert tray.close() == 0, tray.log()


def test_the_xorg_loop_ends_when_its_window_is_destroyed_from_outside(
    desktop: Desktop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What TrayApp.stop falls back on when pystray's own stop request got lost."""
    tray = TrayProcess(desktop, tmp_path, "xorg")
    try:
        window = tray.icon()
        monkeypatch.setenv("DISPLAY", desktop.env["DISPLAY"])
        xorg_destroy(int(window.id, 16))
        assert tray.proc.wait(10) == 0  # run() returned: the main thread's loop ended
    finally:
        tray.close()


def test_right_click_menu_and_session_radio(tray: TrayProcess) -> None:
    tray.send(pct=63)
    open_menu(tray)
    (menu,) = tray.popups()
    # Five header lines and nine items of about 25 px at the default GTK theme.
    assert menu.width > 250 and menu.height > 250
    tray.send(pct=85)  # a snapshot arriving while the menu is open must not close it
    assert tray.popups() == [menu]
    tray.desktop.key("Down", "Right")  # first enabled item: "Tracked session", open it
    sub = tray.wait_popups(2)[1]
    assert sub.height > 60  # automatic + two recent sessions
    x, y = sub.center  # the middle of three radio rows: the first recent session
    tray.desktop.click(x, y)
    assert tray.wait_calls(1) == [["track_session", SESSION]]


def test_rename_through_the_dialog(tray: TrayProcess) -> None:
    tray.send(pct=30)
    desktop = tray.desktop
    open_menu(tray)
    desktop.key("Down", "Down", "Return")  # "Rename tracked session…"
    dialog = desktop.wait_window(lambda w: w.name == "Rename tracked session")
    assert dialog is not None
    desktop.type(dialog, "ignored")
    desktop.key("Escape")  # Cancel changes nothing
    desktop.wait_window(lambda w: w.name == "Rename tracked session", gone=True)
    open_menu(tray)
    desktop.key("Down", "Down", "Return")
    dialog = desktop.wait_window(lambda w: w.name == "Rename tracked session")
    assert dialog is not None
    desktop.type(dialog, "Big refactor")  # replaces the selected prefill
    desktop.key("Return")
    assert tray.wait_calls(1) == [["rename_session", SESSION, "Big refactor"]]


def test_quit_from_the_menu_ends_the_process_cleanly(tray: TrayProcess) -> None:
    tray.send(pct=30)
    open_menu(tray)
    menu = tray.popups()[0]
    tray.desktop.click(menu.x + menu.width // 2, menu.y + menu.height - 14)  # last row
    tray.wait_calls(1)
    assert tray.proc.wait(timeout=15) == 0, tray.log()
    assert tray.calls() == [["quit"]]
