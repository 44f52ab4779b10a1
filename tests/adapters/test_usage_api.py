"""The opt-in usage poller against a local HTTP server replaying the endpoint's answers."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tray_app.adapters.config import Settings
from tray_app.adapters.rate_capture import CaptureStore, record_for
from tray_app.adapters.spool_files import append_record
from tray_app.adapters.usage_api import (
    MAX_BACKOFF,
    MIN_INTERVAL,
    UsagePoller,
    fresh_capture,
    parse_usage,
    read_token,
)
from tray_app.service.runtime import LiveRuntime

NOW = 1_800_000_000.0
FIVE_RESET = datetime(2027, 1, 15, 5, tzinfo=UTC).timestamp()
WEEK_RESET = datetime(2027, 1, 20, 19, tzinfo=UTC).timestamp()
SECRET = "sk-ant-oat01-NEVER-LOG-THIS"
FLAT = {
    "five_hour": {"utilization": 23.0, "resets_at": "2027-01-15T05:00:00.123+00:00"},
    "seven_day": {"utilization": 41.5, "resets_at": "2027-01-20T19:00:00Z"},
    "seven_day_opus": None,
    "seven_day_sonnet": {"utilization": 3.0, "resets_at": None},
}
NEWER = {"limits": [
    {"kind": "five_hour", "percent": 55, "resets_at": "2027-01-15T05:00:00Z", "scope": None},
    {"kind": "seven_day", "percent": 12.5, "resets_at": "2027-01-20T19:00:00Z", "scope": ""},
    {"kind": "seven_day", "percent": 7, "resets_at": "2027-01-20T19:00:00Z", "scope": "opus"},
    {"kind": 5, "percent": 1},
]}  # fmt: skip


class Replay:
    """A local server answering each GET with the next (status, headers, body)."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, dict[str, str], Any]] = []
        self.seen: list[dict[str, str]] = []
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                replay.seen.append(
                    {"path": self.path, **{k.lower(): v for k, v in self.headers.items()}}
                )
                status, headers, body = replay.answers.pop(0)
                data = json.dumps(body).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def replay() -> Iterator[Replay]:
    server = Replay()
    yield server
    server.server.shutdown()
    server.server.server_close()


def credentials(tmp: Path, expires_ms: float = (NOW + 86400) * 1000) -> Path:
    path = tmp / "claude" / ".credentials.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"claudeAiOauth": {"accessToken": SECRET, "expiresAt": expires_ms,
                                                  "refreshToken": "r"}}))  # fmt: skip
    return path


def poller(tmp: Path, url: str) -> UsagePoller:
    env = {"CLAUDE_CONFIG_DIR": str(tmp / "claude")}
    return UsagePoller(CaptureStore(str(tmp / "state")), env, url)


def test_both_response_shapes() -> None:
    assert parse_usage(FLAT) == {
        "five_hour": {"used_percentage": 23.0, "resets_at": FIVE_RESET + 0.123},
        "seven_day": {"used_percentage": 41.5, "resets_at": WEEK_RESET},
        "seven_day_sonnet": {"used_percentage": 3.0},
    }
    assert parse_usage(NEWER) == {
        "five_hour": {"used_percentage": 55.0, "resets_at": FIVE_RESET},
        "seven_day": {"used_percentage": 12.5, "resets_at": WEEK_RESET},
        "seven_day_opus": {"used_percentage": 7.0, "resets_at": WEEK_RESET},
    }
    assert parse_usage([1]) == {} and parse_usage({"five_hour": "x"}) == {}


def test_polls_with_the_token_and_feeds_the_spool(
    tmp_path: Path, replay: Replay, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    cred = credentials(tmp_path)
    before = cred.read_bytes(), cred.stat().st_mtime_ns
    p = poller(tmp_path, replay.url)
    replay.answers.append((200, {}, FLAT))
    assert p.poll(NOW) == parse_usage(FLAT)
    seen = replay.seen[0]
    assert seen["path"] == "/api/oauth/usage"
    assert seen["authorization"] == f"Bearer {SECRET}"
    assert seen["anthropic-beta"] == "oauth-2025-04-20"
    store = CaptureStore(str(tmp_path / "state"))
    store.refresh()
    assert store.captures["seven_day"].percent == 41.5
    assert store.captures["seven_day"].origin == "usage_api"
    # Not again before 5 minutes: no request at all.
    assert p.poll(NOW + MIN_INTERVAL - 1) is None and len(replay.seen) == 1
    replay.answers.append((200, {}, NEWER))
    assert p.poll(NOW + MIN_INTERVAL)["five_hour"]["used_percentage"] == 55.0  # type: ignore[index]
    assert (cred.read_bytes(), cred.stat().st_mtime_ns) == before  # read, never written
    assert SECRET not in caplog.text and SECRET not in repr(read_token(
        {"CLAUDE_CONFIG_DIR": str(tmp_path / "claude")}))  # fmt: skip


def test_429_honours_retry_after_and_backs_off_up_to_30_minutes(
    tmp_path: Path, replay: Replay
) -> None:
    credentials(tmp_path)
    p = poller(tmp_path, replay.url)
    replay.answers.append((429, {"Retry-After": "900"}, {}))
    assert p.poll(NOW) is None and p.state.next_at == NOW + 900
    t = p.state.next_at
    waits = []
    for _ in range(5):
        replay.answers.append((429, {}, {}))
        p.poll(t)
        waits.append(p.state.next_at - t)
        t = p.state.next_at
    assert waits == [600.0, 1200.0, MAX_BACKOFF, MAX_BACKOFF, MAX_BACKOFF]
    replay.answers.append((200, {}, FLAT))
    assert p.poll(t) is not None and p.state.backoff == MIN_INTERVAL


def test_401_and_expired_token_say_sign_in_again(
    tmp_path: Path, replay: Replay, caplog: pytest.LogCaptureFixture
) -> None:
    credentials(tmp_path)
    p = poller(tmp_path, replay.url)
    replay.answers.append((401, {}, {"error": "invalid token"}))
    assert p.poll(NOW) is None
    assert p.state.problem is not None and "run claude to sign in again" in p.state.problem
    assert p.state.next_at == NOW + MAX_BACKOFF
    credentials(tmp_path, expires_ms=(NOW - 1) * 1000)
    q = poller(tmp_path, replay.url)
    assert q.poll(NOW) is None and len(replay.seen) == 1  # expired: nothing sent
    assert "expired: run claude to sign in again" in (q.state.problem or "")
    assert SECRET not in caplog.text


def test_no_credentials_sends_nothing(tmp_path: Path, replay: Replay) -> None:
    p = poller(tmp_path, replay.url)
    assert p.poll(NOW) is None and replay.seen == []


def test_off_by_default_and_silent_while_the_status_line_serves(tmp_path: Path) -> None:
    env = {"TOKEN_MONITOR_DB": str(tmp_path / "state" / "l.db")}
    off = LiveRuntime(Settings(data_dirs=(str(tmp_path),)), env)
    on = LiveRuntime(Settings(data_dirs=(str(tmp_path),), usage_api=True), env)
    assert off.poller is None and on.poller is not None
    store = CaptureStore(str(tmp_path / "state"))
    assert not fresh_capture(store, NOW, 600)
    store.add({"five_hour": {"used_percentage": 1.0}}, "usage_api", NOW)
    assert not fresh_capture(store, NOW, 600)  # our own poll does not count
    rl = {"five_hour": {"used_percentage": 1.0}}
    append_record(str(tmp_path / "state"), record_for(rl, NOW + 10, "statusline"))
    assert fresh_capture(store, NOW + 10, 600) and not fresh_capture(store, NOW + 611, 600)


def test_a_fifo_credentials_file_is_no_token_not_a_hang(tmp_path: Path) -> None:
    import os

    (tmp_path / "claude").mkdir()
    os.mkfifo(tmp_path / "claude" / ".credentials.json")
    got: list[object] = []
    env = {"CLAUDE_CONFIG_DIR": str(tmp_path / "claude"), "HOME": str(tmp_path)}
    worker = threading.Thread(target=lambda: got.append(read_token(env)), daemon=True)
    worker.start()
    worker.join(5)
    assert got == [None]
