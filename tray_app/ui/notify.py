"""Native desktop notifications through plyer; a failure is logged once, never raised."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any, Protocol

from tray_app.usage.text_safety import clean

log = logging.getLogger(__name__)

APP_NAME = "Token Monitor"
ICON_NAMES = ("icon.png", "token-monitor.png")
SEND_TIMEOUT = 2.0  # seconds; a stuck D-Bus call must not hold up the caller any longer
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


class Sender(Protocol):
    """Anything that can show a notification: `Notifier` or `RecordingNotifier`."""

    def send(self, title: str, body: str) -> bool: ...


class Notifier:
    """Shows notifications with plyer (D-Bus on Linux, toast/balloon on Windows)."""

    def __init__(
        self,
        icon: str | None = None,
        timeout: float = SEND_TIMEOUT,
        backend: NotifyFn | None = None,
    ) -> None:
        self.icon = bundled_icon() if icon is None else icon
        self.timeout = timeout
        self._backend = backend or _plyer_notify
        self._warned = False
        self._lock = threading.Lock()
        self.last_error: str | None = None  # why the last send failed, for the tray tooltip

    def send(self, title: str, body: str) -> bool:
        """Show one notification; False (with one logged warning) if it could not be shown."""
        title, body = safe_notification(title, body)
        outcome: list[BaseException | None] = []

        def call() -> None:
            try:
                self._backend(
                    title=title,
                    message=body,
                    app_name=APP_NAME,
                    app_icon=self.icon,
                    timeout=DISPLAY_SECONDS,
                )
            except BaseException as error:  # DBusException, NotImplementedError, OSError…
                outcome.append(error)
            else:
                outcome.append(None)

        # The call runs in a daemon thread so that a bus or daemon that never answers
        # (D-Bus activation of a broken daemon can take 25 s) costs at most `timeout`.
        worker = threading.Thread(target=call, name="notify", daemon=True)
        worker.start()
        worker.join(self.timeout)
        if not outcome:
            return self._failed(f"no answer within {self.timeout:g} s")
        error = outcome[0]
        if error is not None:
            return self._failed(f"{type(error).__name__}: {error}".strip())
        self.last_error = None
        return True

    def _failed(self, reason: str) -> bool:
        with self._lock:
            self.last_error = reason
            if not self._warned:
                # Once only: with no notification daemon every alert would fail the same way.
                self._warned = True
                log.warning(
                    "desktop notifications unavailable (%s); using the icon instead", reason
                )
            else:
                log.debug("notification not shown: %s", reason)
        return False


class RecordingNotifier:
    """Keeps each (title, body) instead of showing it: for tests and unsupported platforms."""

    def __init__(self, result: bool = True) -> None:
        self.sent: list[tuple[str, str]] = []
        self.result = result

    def send(self, title: str, body: str) -> bool:
        """Record the notification and report `result`."""
        self.sent.append((title, body))
        return self.result
