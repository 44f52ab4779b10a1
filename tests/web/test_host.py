"""The dashboard inside the tray process: follows the service, serves once opened, stops."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import UTC
from pathlib import Path

import pytest

from tests.web.served import transcripts, wait_for
from tray_app.adapters.config import Settings
from tray_app.service.aggregator import ServiceOptions
from tray_app.service.runtime import LiveRuntime
from tray_app.web.host import DashboardHost


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as answer:
        body: bytes = answer.read()
        return body


def test_opens_on_demand_shows_the_service_totals_and_stops(tmp_path: Path) -> None:
    data = transcripts(tmp_path / "data", sessions=2, models=("claude-opus-4-6",))
    env = {"TOKEN_MONITOR_DB": str(tmp_path / "ledger.sqlite3")}
    runtime = LiveRuntime(Settings(), env, [str(data)], options=ServiceOptions(tick_seconds=60))
    opened: list[str] = []
    host = DashboardHost(runtime.service, UTC, dict, opened.append)
    runtime.start()
    try:
        assert runtime.service.ready.wait(30)
        assert host.server is None  # nothing listens until asked
        url = host.open()
        assert url is not None and opened == [url]
        assert url.startswith("http://127.0.0.1:") and len(url.rstrip("/").rsplit("/", 1)[1]) > 20
        assert host.open() == url  # one server, opened again
        latest = runtime.service.latest
        assert latest is not None

        def history() -> dict | None:
            got = json.loads(_get(url + "api/history"))
            return got if got["totals"]["total_tokens"] == latest.totals.total_tokens else None

        got = wait_for(history, timeout=10)
        assert got["totals"]["responses"] == latest.totals.responses == 2
        assert b"Token Monitor" in _get(url)
        # A page still open when the tray quits must not hold the quit up.
        stream = urllib.request.urlopen(url + "api/events", timeout=10)
        assert stream.readline().startswith(b"data: ")
        started = time.monotonic()
    finally:
        host.stop()
        runtime.stop()
    assert time.monotonic() - started < 3.0
    assert stream.read() in (b"", b"\n")  # the server ended the stream
    stream.close()
    with pytest.raises(urllib.error.URLError):
        _get(url + "api/state")
    assert host.open() is None  # quit: never started again
