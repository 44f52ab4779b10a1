"""Wake pystray's plain-X11 loop when a call handed to it from another thread is stuck.

pystray's xorg backend runs every icon change on its loop thread: the calling thread sends
a message through the one X connection the loop also uses, flushes it, and waits for the
loop to run the change. python-xlib (0.33) has a path where a flushing thread that finds
data to read returns without waking the thread that waits for a reply: then the loop
waits forever for its lock (seen under load: the loop in `get_geometry` for a redraw,
the update waiting for the loop, the icon frozen and `publish` never returning). Any
later I/O call on that connection that runs to its end wakes the waiters. So while such
a change is in progress, the connection is flushed from another thread every 0.3 s
(sending nothing new) until the change returns.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from typing import Any

log = logging.getLogger(__name__)

WAKE_SECONDS = 0.3  # a change still running after this is presumed stuck: wake the loop
WAKES = 100  # then give up (something else is wrong)


def _wake_until(done: threading.Event, display: Any) -> None:
    for _ in range(WAKES):
        if done.wait(WAKE_SECONDS):
            return
        log.info("the xorg tray loop did not run a change in %.1f s; waking it", WAKE_SECONDS)
        try:
            display.flush()  # runs python-xlib's I/O loop to its end, which wakes waiters
        except Exception:
            log.warning("could not wake the xorg tray loop", exc_info=True)
            return


@contextlib.contextmanager
def woken_if_stuck(icon: Any) -> Iterator[None]:
    """Around changes to a pystray xorg icon from outside its loop thread (no-op inside it)."""
    display = getattr(icon, "_display", None)
    # (Not set yet during pystray's setup call, which never runs on the loop thread.)
    loop = getattr(icon, "_thread", None)
    if display is None or loop is threading.current_thread():
        yield
        return
    done = threading.Event()
    waker = threading.Thread(
        target=_wake_until, args=(done, display), name="tray-wake", daemon=True
    )
    waker.start()
    try:
        yield
    finally:
        done.set()
