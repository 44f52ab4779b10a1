"""The real tray tells the user, once, that its ledger was started afresh (a notification)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.app.test_tray_app_e2e import App, Monitor, line
from tests.builders import write_jsonl
from tests.ui.desktop import Desktop

pytestmark = pytest.mark.display


@pytest.fixture
def app(desktop: Desktop, tmp_path: Path) -> Iterator[App]:
    data = tmp_path / "claude"
    f = data / "projects" / "-home-u-e2e" / "s.jsonl"
    write_jsonl(f, [line("msg_old", 1000, time.time() - 10 * 3600)])  # no alert to fire
    running = App(desktop, tmp_path, data)
    yield running
    if running.proc is not None and running.proc.poll() is None:
        running.proc.kill()
        running.proc.wait(5)


def test_a_ledger_started_afresh_is_told_once(app: App, tmp_path: Path) -> None:
    (tmp_path / "ledger.db").write_bytes(b"")  # SQLite's empty database: a note, no refusal
    monitor = Monitor(app.desktop, tmp_path / "monitor.log")
    try:
        app.start()
        app.icon()
        told = monitor.wait(1)
        assert len(told) == 1, told
        assert told[0].startswith("Token Monitor: ledger | the ledger ") and "afresh" in told[0]
        time.sleep(2)
        assert len(monitor.summaries()) == 1  # once, not per snapshot
        app.stop()
        app.start()  # a healthy ledger now: nothing to tell
        app.icon()
        time.sleep(3)
        assert len(monitor.summaries()) == 1, monitor.summaries()
    finally:
        monitor.close()
        if app.proc is not None and app.proc.poll() is None:
            app.stop()
