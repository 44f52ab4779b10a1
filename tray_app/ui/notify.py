"""Native desktop notifications through plyer, shown by one worker thread; never raised."""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

from tray_app.usage.text_safety import clean

log = logging.getLogger(__name__)

APP_NAME = "Token Monitor"
ICON_NAMES = ("icon.png", "token-monitor.png")
STOP_TIMEOUT = 2.0  # seconds quit waits for the notifications still queued
QUEUE_MAX = 32  # waiting notifications; more means the bus is stuck: drop, don't pile up
DISPLAY_SECONDS = 10
TITLE_MAX = 100
BODY_LINE_MAX = 200

NotifyFn = Callable[..., Any]


def bundled_icon() -> str:
    """Path of the app's PNG icon in `tray_app/data`, or "" when none is bundled."""
    try:
        folder = Path(str(files("tray_app.data")))
    except (ModuleNotFoundError, TypeError):  # e.g. a zip import with no real folder
        return ""
    for name in ICON_NAMES:
        if (folder / name).is_file():
            return str(folder / name)
    return ""


def _plyer_notify(**kwargs: Any) -> Any:
    # Imported on first use: plyer picks its platform backend (and warns about a
    # missing dbus-python) at import time, which should not happen at app start.
    from plyer import notification

    return notification.notify(**kwargs)


def safe_notification(title: str, body: str) -> tuple[str, str]:
    """Title and body with no control characters (the body keeps its line breaks)."""
    lines = (clean(line, BODY_LINE_MAX) for line in body.split("\n"))
    return clean(title, TITLE_MAX), "\n".join(lines)


class Notifier:
    """Shows notifications with plyer (D-Bus on Linux, toast/balloon on Windows).

    `post` queues for one worker thread ("tm-notify", started on first use), so no caller
    ever waits for the bus (D-Bus activation of a broken daemon can take 25 s); `stop`
    ends it on quit. `send` shows one on the calling thread.
    """

    def __init__(self, icon: str | None = None, backend: NotifyFn | None = None) -> None:
        self.icon = bundled_icon() if icon is None else icon
        self._backend = backend or _plyer_notify
        self._warned = False
        self._queue: queue.Queue[tuple[str, str] | None] = queue.Queue(QUEUE_MAX)
        self._lock = threading.Lock()  # guards starting and stopping the worker
        self._worker: threading.Thread | None = None
        self._stopped = False

    def send(self, title: str, body: str) -> bool:
        """Show one notification now; False (with one logged warning) if it could not be."""
        title, body = safe_notification(title, body)
        try:
            self._backend(
                title=title,
                message=body,
                app_name=APP_NAME,
                app_icon=self.icon,
                timeout=DISPLAY_SECONDS,
            )
        except Exception as error:  # DBusException, NotImplementedError, OSError…
            return self._failed(f"{type(error).__name__}: {error}".strip())
        return True

    def post(self, title: str, body: str) -> None:
        """Queue one notification for the worker; returns at once (dropped after `stop`)."""
        with self._lock:
            if self._stopped:
                log.debug("notification after quit not shown: %s", clean(title, TITLE_MAX))
                return
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="tm-notify", daemon=True)
                self._worker.start()
            try:
                self._queue.put_nowait((title, body))
            except queue.Full:
                log.debug("notification dropped, %d waiting: %s", QUEUE_MAX, clean(title))

    def stop(self, timeout: float = STOP_TIMEOUT) -> bool:
        """End the worker once what is queued is shown; False if still busy after `timeout`."""
        with self._lock:
            self._stopped = True
            worker = self._worker
            if worker is None:
                return True
            with contextlib.suppress(queue.Full):  # full = stuck on the bus: do not wait
                self._queue.put_nowait(None)
        worker.join(timeout)  # a daemon thread: a stuck bus call cannot hold up the exit
        return not worker.is_alive()

    def _run(self) -> None:
        while True:
            try:  # once stopped, end when the queue is empty even if no sentinel fitted
                item = self._queue.get_nowait() if self._stopped else self._queue.get()
            except queue.Empty:
                return
            if item is None:
                return
            self.send(*item)

    def _failed(self, reason: str) -> bool:
        if not self._warned:
            # Once only: with no notification daemon every alert would fail the same way.
            self._warned = True
            log.warning("desktop notifications unavailable (%s); using the icon instead", reason)
        else:
            log.debug("notification not shown: %s", reason)
        return False
