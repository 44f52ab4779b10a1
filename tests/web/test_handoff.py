"""The tray answers `token-monitor dashboard` through a private FIFO with its page's URL."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from tray_app.web.handoff import ANSWER, REQUEST, HandoffListener, ask_tray

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    private = tmp_path / "run"
    private.mkdir(mode=0o700)
    return private


def test_asks_the_tray_and_gets_its_url(folder: Path) -> None:
    calls: list[int] = []

    def open_page() -> str:
        calls.append(1)
        return "http://127.0.0.1:4321/secret/"

    listener = HandoffListener(folder, open_page)
    assert listener.start()
    try:
        assert stat.S_IMODE(os.lstat(folder / REQUEST).st_mode) == 0o600
        assert ask_tray(folder, timeout=5) == "http://127.0.0.1:4321/secret/"
        assert ask_tray(folder, timeout=5) == "http://127.0.0.1:4321/secret/"  # asked again
        assert len(calls) == 2
        assert stat.S_IMODE(os.lstat(folder / ANSWER).st_mode) == 0o600
    finally:
        listener.stop()
    assert not (folder / REQUEST).exists() and not (folder / ANSWER).exists()
    assert ask_tray(folder, timeout=1) is None  # no tray: the command runs on its own


def test_a_fifo_nobody_reads_means_no_tray(folder: Path) -> None:
    os.mkfifo(folder / REQUEST, 0o600)  # left by a tray that was killed
    assert ask_tray(folder, timeout=1) is None
    listener = HandoffListener(folder, lambda: "http://127.0.0.1:1/s/")
    assert listener.start()  # the next tray replaces it
    try:
        assert ask_tray(folder, timeout=5) == "http://127.0.0.1:1/s/"
    finally:
        listener.stop()


def test_someone_elses_file_is_left_alone(folder: Path) -> None:
    (folder / REQUEST).write_text("not a fifo")
    listener = HandoffListener(folder, lambda: "x")
    assert not listener.start()
    listener.stop()
    assert (folder / REQUEST).read_text() == "not a fifo"
    assert ask_tray(folder, timeout=1) is None


def test_stop_wakes_the_waiting_thread(folder: Path) -> None:
    listener = HandoffListener(folder, lambda: None)
    assert listener.start()
    thread = listener._thread
    assert thread is not None and thread.is_alive()
    done = threading.Event()
    threading.Thread(target=lambda: (listener.stop(), done.set()), daemon=True).start()
    assert done.wait(5) and not thread.is_alive()
