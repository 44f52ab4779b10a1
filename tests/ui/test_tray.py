"""TrayApp without a display (pystray's dummy backend) and the menu-support probe."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC
from typing import Any

import pytest

from tests.ui.factories import NOW, snapshot
from tests.ui.fakes import RecordingController, ScriptedDialog, dummy_pystray
from tray_app.adapters import menu_deps
from tray_app.ui import tray as tray_module
from tray_app.ui.icon import render_icon
from tray_app.ui.menu import UiState
from tray_app.ui.tooltip import tooltip_text
from tray_app.ui.tray import TrayApp, menu_support

dummy_pystray()  # TrayApp imports pystray later; it must be the display-free backend
STATE = UiState(limit_mode="max", limit_tokens=None, notifications=True, autostart=False)


def make_app(controller: RecordingController | None = None) -> TrayApp:
    return TrayApp(
        controller or RecordingController(),
        STATE,
        ask_text=ScriptedDialog("renamed"),
        tz=UTC,
        clock=lambda: NOW,
    )


def item(app: TrayApp, text: str) -> Any:
    """A top-level pystray item by its text."""
    return next(i for i in app.icon.menu.items if i.text == text)


def wait_for(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_dummy_backend_is_recorded_without_a_menu() -> None:
    app = make_app()
    assert app.backend_name == "dummy"
    assert app.menu_available is False
    assert app.icon.title == "Token Monitor: starting…"
    assert app.icon.icon.tobytes() == render_icon(None).tobytes()


def test_publish_updates_image_title_and_menu() -> None:
    app = make_app()
    snap = snapshot(85)
    app.publish(snap)
    assert app.icon.icon.tobytes() == render_icon(snap).tobytes()
    assert app.icon.title == tooltip_text(snap, NOW, UTC)
    texts = [i.text for i in app.icon.menu.items]
    assert texts[0] == "Block: 1.7M tok · 85% of p90 (2M)"
    assert texts[-1] == "Quit"
    image, menu = app.icon.icon, app.icon.menu
    app.publish(snapshot(85))  # same look: nothing is redrawn
    assert app.icon.icon is image and app.icon.menu is menu


def test_publish_from_many_threads_ends_on_the_last() -> None:
    app = make_app()
    threads = [threading.Thread(target=app.publish, args=(snapshot(p),)) for p in (10, 20, 30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    app.publish(snapshot(97))
    assert app.icon.icon.tobytes() == render_icon(snapshot(97)).tobytes()


def test_state_changes_the_menu_and_clicks_reach_the_controller() -> None:
    controller = RecordingController()
    app = make_app(controller)
    app.publish(snapshot())
    assert item(app, "Notifications").checked is True
    item(app, "Notifications")(app.icon)  # a click, as pystray dispatches it
    assert item(app, "Notifications").checked is False  # shown at once
    assert app.state.notifications is False
    item(app, "Rename tracked session…")(app.icon)
    limit = next(i for i in item(app, "Limit").submenu.items if i.text.startswith("P90"))
    limit(app.icon)
    assert app.state.limit_mode == "p90"
    wait_for(lambda: len(controller.calls) == 3)
    assert controller.calls == [
        ("set_notifications", False),
        ("rename_session", "0123456789abcdef", "renamed"),
        ("set_limit", "p90", None),
    ]
    assert threading.current_thread().name not in controller.threads
    app.set_state(STATE)
    assert item(app, "Notifications").checked is True


def test_menu_support_without_pygobject(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/" + name)
    missing = menu_deps.MenuDeps(False, menu_deps.APT_TYPELIBS, menu_deps.APT_BUILD[:3])
    monkeypatch.setattr(menu_deps, "probe", lambda: missing)
    ok, why = menu_support({})
    assert ok is False
    # The same one command line the tray start and `doctor` print.
    assert why.endswith(
        "sudo apt install gir1.2-ayatanaappindicator3-0.1 gir1.2-gtk-3.0"
        " libgirepository1.0-dev libcairo2-dev libdbus-1-dev"
        " && pip install 'token-monitor[linux]'"
    )


def test_menu_support_forced_backend_and_missing_typelib(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    assert menu_support({"PYSTRAY_BACKEND": "xorg"})[0] is False
    only_indicator = menu_deps.MenuDeps(True, ("gir1.2-ayatanaappindicator3-0.1",))
    monkeypatch.setattr(menu_deps, "probe", lambda: only_indicator)
    ok, why = menu_support({})
    assert ok and "GTK StatusIcon" in why and "gir1.2-ayatanaappindicator3-0.1" in why
    no_gtk = menu_deps.MenuDeps(True, ("gir1.2-gtk-3.0",))
    monkeypatch.setattr(menu_deps, "probe", lambda: no_gtk)
    assert menu_support({})[0] is False
    monkeypatch.setattr(sys, "platform", "win32")
    assert menu_support({}) == (True, "native tray menu (win32)")


def headless_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("PYSTRAY_BACKEND", None)
    return env


def test_importing_the_ui_needs_no_display() -> None:
    code = (
        "import sys; import tray_app.ui.tray as t; ok, why = t.menu_support();"
        "assert 'pystray' not in sys.modules and 'gi.repository.Gtk' not in sys.modules;"
        "print(ok)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=headless_env(), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() in ("True", "False")


def test_no_display_raises_tray_unavailable() -> None:
    code = (
        "from tray_app.ui.tray import TrayApp, TrayUnavailable\n"
        "from tray_app.ui.menu import UiState\n"
        "try:\n"
        "    TrayApp(None, UiState('max', None, True, False))\n"
        "except TrayUnavailable as e:\n"
        "    print('unavailable:', e)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=headless_env(), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("unavailable: no system tray available")


class _LostStopIcon:
    """pystray's xorg icon whose stop request never reached the X server."""

    def __init__(self) -> None:
        self._window = type("Window", (), {"id": 0x600000})()
        self.stop_calls = 0

    def stop(self) -> None:
        self.stop_calls += 1  # returns, but the loop keeps waiting in select()


def test_an_xorg_loop_that_ignores_stop_gets_its_window_destroyed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    destroyed: list[int] = []
    monkeypatch.setattr(tray_module, "xorg_destroy", destroyed.append)
    monkeypatch.setattr(tray_module, "XORG_STOP_GRACE", 0.05)
    app = make_app()
    app.backend_name, app.icon = "xorg", _LostStopIcon()
    app.stop()
    wait_for(lambda: destroyed == [0x600000])
    assert app.icon.stop_calls == 1


def test_an_xorg_loop_that_ended_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    destroyed: list[int] = []
    monkeypatch.setattr(tray_module, "xorg_destroy", destroyed.append)
    monkeypatch.setattr(tray_module, "XORG_STOP_GRACE", 0.3)
    app = make_app()
    app.backend_name, app.icon = "xorg", _LostStopIcon()
    app.stop()
    app._ended.set()  # what run()'s return does: the loop ended in time
    time.sleep(0.5)
    assert destroyed == []
