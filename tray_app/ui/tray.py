"""The tray icon process side: pystray on the main thread, snapshots from any thread.

pystray is imported only when a TrayApp is built: importing it picks a backend and, on
Linux, opens the X display, so the CLI (`--version`, `doctor`) must never trigger it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from types import ModuleType
from typing import Any

from PIL import Image

from tray_app.adapters import menu_deps
from tray_app.service.snapshot import Snapshot
from tray_app.ui.desktop_checks import session_bus_problem
from tray_app.ui.dialog import dialogs_for
from tray_app.ui.icon import DEFAULT_COLORS, IconColors, render_icon
from tray_app.ui.menu import (
    Action,
    AskText,
    Entry,
    TrayController,
    UiState,
    build_menu,
    expected_state,
    to_pystray,
)
from tray_app.ui.menu_actions import MenuActions, Worker
from tray_app.ui.tooltip import WINDOWS_MAX, tooltip_text
from tray_app.ui.xorg_wake import woken_if_stuck
from tray_app.usage.formatting import latin1

log = logging.getLogger(__name__)
GTK_BACKENDS = ("gtk", "appindicator")
TICK_SECONDS = 30.0  # countdowns in the tooltip and header stay fresh without snapshots
# pystray's xorg backend sends a new dock request with every image; a tray host that gets
# two at once (trayer, any GtkSocket one) drops the icon, so images are spaced out there.
XORG_IMAGE_GAP = 0.6
# How long pystray's xorg loop may take to end after stop() before its window is destroyed
# from a connection of our own (see TrayApp._end_xorg_loop).
XORG_STOP_GRACE = 2.0


class TrayUnavailable(RuntimeError):
    """No tray backend could start (no display, or no supported toolkit)."""


def menu_support(env: Mapping[str, str] = os.environ) -> tuple[bool, str]:
    """(menu available, explanation) for `doctor`; needs no display and imports no pystray."""
    if sys.platform in ("win32", "darwin"):
        return True, f"native tray menu ({sys.platform})"
    forced = env.get("PYSTRAY_BACKEND", "")
    if forced in ("xorg", "dummy"):
        return False, f"PYSTRAY_BACKEND={forced} has no menu; unset it to use GTK"
    deps = menu_deps.probe()  # the same probe the tray start and `doctor` advice use
    if not deps.has_menu:
        return False, "no tray menu (plain X11 icon only); install: " + menu_deps.install_command(
            deps, apt=shutil.which("apt-get") is not None
        )
    if deps.missing_typelibs:
        return (
            True,
            f"menu via GTK StatusIcon; for KDE/GNOME also install {deps.missing_typelibs[0]}",
        )
    return True, "menu via AppIndicator (StatusNotifier) or GTK"


def xorg_undocked(name: str) -> bool:
    """Whether pystray's plain-X11 icon window is still a top-level, i.e. not in a tray."""
    from Xlib import display

    conn = display.Display()
    try:
        for child in conn.screen().root.query_tree().children:
            with contextlib.suppress(Exception):  # windows may vanish while we look
                if (child.get_wm_class() or ("",))[0] == f"{name}SystemTrayIcon":
                    return True
        return False
    finally:
        conn.close()


def xorg_destroy(window_id: int) -> None:
    """Destroy an X window through a new connection (any client may destroy any window)."""
    from Xlib import display

    conn = display.Display()
    try:
        conn.create_resource_object("window", window_id).destroy()
        conn.sync()  # the request reaches the server before the connection closes
    finally:
        conn.close()


def load_pystray() -> ModuleType:
    """Import pystray, turning its headless failures (not ImportErrors) into one error."""
    try:
        import pystray as module
    except Exception as exc:  # Xlib.error.DisplayNameError and friends
        raise TrayUnavailable(f"no system tray available: {exc}") from exc
    return module  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class View:
    """Everything one update shows, rendered off the UI thread."""

    generation: int
    image: Image.Image
    title: str
    menu: tuple[Entry, ...]


class TrayApp:
    """A pystray icon fed with snapshots; `run()` owns the main thread until `stop()`."""

    def __init__(
        self,
        controller: TrayController,
        state: UiState,
        *,
        name: str = "token-monitor",
        ask_text: AskText | None = None,
        tz: tzinfo | None = None,
        clock: Callable[[], float] = time.time,
        icon_size: int = 64,
        colors: IconColors = DEFAULT_COLORS,
    ) -> None:
        self._pystray = load_pystray()
        icon_class = self._pystray.Icon
        backend = icon_class.__module__.rsplit(".", 1)[-1].lstrip("_")
        self.backend_name: str = "dummy" if backend == "base" else backend  # dummy reuses _base
        self.menu_available = bool(icon_class.HAS_MENU) and self.backend_name != "dummy"
        no_bus = session_bus_problem() if self.backend_name in GTK_BACKENDS else None
        if no_bus is not None:
            raise TrayUnavailable(no_bus)
        if not self.menu_available and sys.platform.startswith("linux"):
            missing = (
                menu_deps.install_command(menu_deps.probe()) or "nothing; is PYSTRAY_BACKEND set?"
            )
            log.warning("the %s tray backend has no menu; install: %s", self.backend_name, missing)
        self._tz, self._clock = tz, clock
        self._size, self._colors = icon_size, colors
        self._max_len = WINDOWS_MAX if sys.platform == "win32" else None
        self._worker = Worker()
        self._actions = MenuActions(
            controller, ask_text or dialogs_for(self.backend_name), self._worker.submit
        )
        self._lock, self._apply_lock = threading.Lock(), threading.Lock()
        self._snapshot: Snapshot | None = None
        self._state, self._name = state, name
        self._pending: View | None = None
        self._shown: tuple[bytes, tuple[Entry, ...]] | None = None
        self._generation = self._applied = 0  # a render arriving after a newer one is dropped
        self._stopped = threading.Event()
        self._started = threading.Event()  # the toolkit's loop ran (set by `_setup`)
        self._ended = threading.Event()  # `run()` returned
        self._image_at, self._retry = 0.0, threading.Timer(0, lambda: None)  # xorg pacing
        first = self._render()
        self.icon: Any = icon_class(name, icon=first.image, title=first.title)
        self._apply(first)

    @property
    def state(self) -> UiState:
        """The settings the menu currently shows."""
        return self._state

    def publish(self, snapshot: Snapshot) -> None:
        """Show a new snapshot; safe from any thread, returns quickly."""
        with self._lock:
            self._snapshot = snapshot
        self._refresh()

    def set_state(self, state: UiState) -> None:
        """Show new settings (limit mode, toggles, thresholds); safe from any thread."""
        with self._lock:
            self._state = state
        self._refresh()

    def run(self) -> None:
        """Block in the toolkit's loop; must be the main thread (GTK, macOS, Win32 need it)."""
        threading.Thread(target=self._tick, name="tray-tick", daemon=True).start()
        try:
            self.icon.run(setup=self._setup)
        except Exception as exc:
            if not self._started.is_set():
                # e.g. GError: no reachable session bus. pystray's (non-daemon) setup thread
                # still waits for a start that never came and would keep the process alive.
                self._stopped.set()
                with contextlib.suppress(Exception):
                    self.icon._mark_ready()  # lets it run `_setup`, which returns at once
                raise TrayUnavailable(f"the tray could not start: {exc}") from exc
            # GTK backends raise GError at stop when no notification service exists on
            # the bus (pystray's own notifier); the app should still exit cleanly.
            log.exception("tray loop ended with an error (backend %s)", self.backend_name)
        finally:
            self._stopped.set()
            self._ended.set()
            self._worker.shutdown()

    def stop(self) -> None:
        """Leave `run()`; safe from any thread."""
        self._stopped.set()
        self._worker.shutdown()
        if self.backend_name == "xorg" and not self._ended.is_set():
            # Started first: pystray's stop() may itself wait forever for the lost request.
            threading.Thread(target=self._end_xorg_loop, name="tray-stop", daemon=True).start()
        self.icon.stop()

    def _end_xorg_loop(self) -> None:
        """Make sure pystray's xorg loop ends after `stop()`.

        pystray stops it with a request sent through its one X connection, which several of
        our threads share (updates, docking, stop); python-xlib can leave a request unsent
        when threads flush at once, and the loop then waits in select() forever (the quit
        never took effect: seen as a tray that ignores {"quit"} / Quit). Destroying the icon
        window from a new connection delivers the DestroyNotify that ends pystray's loop.
        """
        if self._ended.wait(XORG_STOP_GRACE):
            return
        window = getattr(self.icon, "_window", None)
        if window is None:
            return
        log.warning("the xorg tray loop did not end after stop; destroying its window")
        try:
            xorg_destroy(int(window.id))
        except Exception:
            log.warning("could not destroy the tray window", exc_info=True)

    def invoke(self, action: Action) -> None:
        """A menu click: show toggles at once (the controller confirms via set_state)."""
        with self._lock:
            state, self._state = self._state, expected_state(self._state, action)
        if self._state != state:
            self._refresh()
        self._actions.invoke(action)

    def _setup(self, icon: Any) -> None:
        if self._stopped.is_set():
            return  # released after a failed start: nothing to show
        self._started.set()
        with self._apply_lock, self._unstuck():
            icon.visible = True
            # xorg and gtk apply a title set while hidden only on its next change: re-send.
            title, icon.title = icon.title, ""
            icon.title = title
        if self.backend_name == "xorg":  # a daemon: a wedged X call must not block exit
            threading.Thread(target=self._keep_docked, name="tray-dock", daemon=True).start()

    def _keep_docked(self) -> None:
        """Showing sends two dock requests at once and a host may drop us: dock again."""
        self._image_at = time.monotonic()
        for _ in range(3):
            if self._stopped.wait(XORG_IMAGE_GAP) or not xorg_undocked(self._name):
                return
            log.info("the tray host dropped the icon; docking again")
            with self._apply_lock, self._unstuck():
                self.icon.visible = False
                self.icon.visible = True  # the image is valid now: a single dock request

    def _tick(self) -> None:
        while not self._stopped.wait(TICK_SECONDS):
            self._refresh()

    def _render(self) -> View:
        with self._lock:
            self._generation += 1
            generation, snapshot, state = self._generation, self._snapshot, self._state
        now = self._clock()
        image = render_icon(snapshot, self._size, self._colors, state.thresholds)
        title = tooltip_text(snapshot, now, self._tz, self._max_len)
        if self.backend_name == "xorg":
            title = latin1(title)
        return View(generation, image, title, build_menu(snapshot, state, now, self._tz))

    def _refresh(self) -> None:
        view = self._render()
        if self.backend_name not in GTK_BACKENDS:
            self._apply(view)  # pystray's own setters marshal to their loop thread
            return
        with self._lock:
            if self._pending is not None and self._pending.generation > view.generation:
                return  # a newer render is already waiting
            schedule = self._pending is None
            self._pending = view
        if schedule:
            from gi.repository import GLib

            GLib.idle_add(self._apply_pending)

    def _apply_pending(self) -> bool:
        with self._lock:
            view, self._pending = self._pending, None
        if view is not None:
            self._apply(view)
        return False  # run once

    def _apply(self, view: View) -> None:
        with self._apply_lock:
            if view.generation <= self._applied:
                return
            self._applied = view.generation
            shown = self._shown
            try:
                with self._unstuck():
                    pixels = self._set(view, shown)
            except Exception:  # e.g. xorg asserts it is docked; the next update retries
                log.warning("tray update failed (%s)", self.backend_name, exc_info=True)
                return
            self._shown = (pixels, view.menu)

    def _unstuck(self) -> contextlib.AbstractContextManager[None]:
        """Around a change to the icon: on xorg, the loop is woken if it hangs (xorg_wake)."""
        if self.backend_name != "xorg":
            return contextlib.nullcontext()
        return woken_if_stuck(self.icon)

    def _set(self, view: View, shown: tuple[bytes, Any] | None) -> bytes:
        """Hand what changed of the view to pystray; the image's pixels now shown."""
        pixels = view.image.tobytes()
        self.icon.title = view.title
        if shown is not None and shown[0] != pixels and self._too_soon():
            pixels = shown[0]  # not shown yet: _too_soon() scheduled a retry
        elif shown is None or shown[0] != pixels:
            self.icon.icon = view.image  # GTK writes a temp file per image: no repeats
            self._image_at = time.monotonic()
        if shown is None or shown[1] != view.menu:
            # The dummy backend stores the menu but cannot draw it.
            with contextlib.suppress(NotImplementedError):
                self.icon.menu = to_pystray(view.menu, self.invoke, self._pystray)
        return pixels

    def _too_soon(self) -> bool:
        """On xorg, whether a new image must wait; if so a later refresh is scheduled."""
        wait = self._image_at + XORG_IMAGE_GAP - time.monotonic()
        if self.backend_name != "xorg" or wait <= 0:
            return False
        if not self._retry.is_alive() or self._retry is threading.current_thread():
            self._retry = threading.Timer(wait, self._refresh)
            self._retry.daemon = True
            self._retry.start()
        return True
