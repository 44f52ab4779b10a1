"""`token-monitor dashboard` while the tray runs: the tray serves the page, not a 2nd engine.

The tray reads requests from a FIFO in its private lock folder (0700; the FIFO is 0600, so
only this user can ask) and answers with the page's URL in a 0600 file. Nothing listens on
the network until a request comes. Windows has no FIFOs: there the command runs on its own.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)
REQUEST = "dashboard.request"
ANSWER = "dashboard.url"
WAIT_SECONDS = 10.0


def _is_our_fifo(path: Path) -> bool:
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISFIFO(st.st_mode) and st.st_uid == os.geteuid()


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.replace(tmp, path)


class HandoffListener:
    """Tray side: on each request, start (or reuse) the dashboard and write its URL."""

    def __init__(self, folder: Path, open_page: Callable[[], str | None]) -> None:
        self.request = folder / REQUEST
        self.answer = folder / ANSWER
        self.open_page = open_page
        self._stopping = False
        self._fd: int | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        """Make the FIFO and wait for requests on a daemon thread; False where impossible."""
        if not hasattr(os, "mkfifo"):
            return False
        try:
            if _is_our_fifo(self.request):
                self.request.unlink()  # left by a tray that crashed
            os.mkfifo(self.request, 0o600)
            # Read and write: a request can always be written while the tray runs (no gap
            # between two readers), and reads block instead of seeing end-of-file.
            self._fd = os.open(self.request, os.O_RDWR)
        except OSError as exc:  # a file of someone else's in the way: leave it alone
            log.warning("no dashboard hand-off (%s): `token-monitor dashboard` runs alone", exc)
            return False
        self._thread = threading.Thread(target=self._run, name="tm-handoff", daemon=True)
        self._thread.start()
        return True

    def _run(self) -> None:
        assert self._fd is not None
        pending = b""
        while not self._stopping:
            try:
                chunk = os.read(self._fd, 4096)
            except OSError as exc:
                log.warning("dashboard hand-off stopped: %s", exc)
                return
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                nonce = line.decode("ascii", "replace").strip()
                if not self._stopping and nonce.isalnum() and len(nonce) <= 64:
                    self._answer(nonce)

    def _answer(self, nonce: str) -> None:
        try:
            url = self.open_page()
            if url:
                _write_private(self.answer, f"{nonce} {url}\n")
        except Exception:
            log.exception("dashboard hand-off failed")

    def stop(self) -> None:
        """Stop waiting, remove the FIFO and the answer (the page's URL dies with the tray)."""
        self._stopping = True
        if self._fd is not None:
            os.write(self._fd, b"\n")  # wakes the reader, which sees it should stop
            if self._thread is not None:
                self._thread.join(2.0)
            os.close(self._fd)
            self._fd = None
            if _is_our_fifo(self.request):
                self.request.unlink(missing_ok=True)
            self.answer.unlink(missing_ok=True)


def ask_tray(folder: Path, timeout: float = WAIT_SECONDS) -> str | None:
    """CLI side: the running tray's dashboard URL, or None when no tray is listening."""
    request, answer = folder / REQUEST, folder / ANSWER
    if not _is_our_fifo(request):
        return None
    nonce = secrets.token_hex(8)
    try:
        fd = os.open(request, os.O_WRONLY | os.O_NONBLOCK)  # ENXIO: nobody reads (no tray)
    except OSError:
        return None
    try:
        os.write(fd, f"{nonce}\n".encode())
    finally:
        os.close(fd)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            said = answer.read_text(encoding="ascii").split()
        except (OSError, UnicodeDecodeError):
            said = []
        if len(said) == 2 and said[0] == nonce:
            return said[1]
        time.sleep(0.05)
    return None
