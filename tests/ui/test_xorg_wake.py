"""A change handed to pystray's xorg loop that gets stuck is woken by a flush of its connection."""

from __future__ import annotations

import threading
import time

import pytest

from tray_app.ui import xorg_wake
from tray_app.ui.xorg_wake import woken_if_stuck


class _Display:
    """python-xlib's Display as the waker uses it: a flush lets the waiting loop go on."""

    def __init__(self) -> None:
        self.flushes = 0
        self.unblocked = threading.Event()

    def flush(self) -> None:
        self.flushes += 1
        self.unblocked.set()


class _Icon:
    def __init__(self, loop: threading.Thread | None) -> None:
        self._display = _Display()
        self._thread = loop


def test_a_stuck_change_is_woken_and_a_quick_one_is_left_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(xorg_wake, "WAKE_SECONDS", 0.05)
    icon = _Icon(threading.Thread(target=lambda: None))  # the loop: another thread
    started = time.monotonic()
    with woken_if_stuck(icon):
        # The loop waits for a lock only some later I/O call releases (python-xlib).
        assert icon._display.unblocked.wait(5)
    assert icon._display.flushes == 1 and time.monotonic() - started < 5
    with woken_if_stuck(icon):
        pass  # done at once: nothing to wake
    time.sleep(0.2)
    assert icon._display.flushes == 1


def test_on_the_loop_thread_or_without_a_display_nothing_is_started() -> None:
    icon = _Icon(threading.current_thread())
    before = threading.active_count()
    with woken_if_stuck(icon):
        assert threading.active_count() == before
    with woken_if_stuck(object()):  # not pystray's xorg icon
        assert threading.active_count() == before
