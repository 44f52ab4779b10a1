"""Webhook alerts against a real local HTTP receiver; the URL never reaches the log."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pytest

from tray_app.adapters.webhook import usable, webhook_from
from tray_app.usage.alerts import Alert

ALERT = Alert("budget:daily:80", 0.0, "Claude daily budget at 80%", "$8.00 of $10.00 spent")


class Receiver(BaseHTTPRequestHandler):
    """Records each POST; answers with the status the test asks for."""

    got: ClassVar[list[dict[str, Any]]] = []
    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).got.append({"path": self.path, "type": self.headers["Content-Type"],
                               "body": json.loads(body)})  # fmt: skip
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[Receiver]]]:
    handler = type("R", (Receiver,), {"got": [], "status": 200})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hooks/T000/SECRET-TOKEN", handler
    server.shutdown()
    server.server_close()


def test_posts_slack_and_discord_compatible_json(receiver: tuple[str, type[Receiver]]) -> None:
    url, handler = receiver
    hook = webhook_from(url)
    assert hook is not None
    assert hook.send(ALERT) is True
    [got] = handler.got
    assert got["path"] == "/hooks/T000/SECRET-TOKEN"
    assert got["type"] == "application/json"
    assert got["body"]["text"] == got["body"]["content"]
    assert got["body"]["text"] == "*Claude daily budget at 80%*\n$8.00 of $10.00 spent"


def test_failures_are_logged_without_the_url(
    receiver: tuple[str, type[Receiver]], caplog: pytest.LogCaptureFixture
) -> None:
    url, handler = receiver
    handler.status = 500
    hook = webhook_from(url)
    assert hook is not None
    with caplog.at_level(logging.DEBUG):
        assert hook.send(ALERT) is False
        unreachable = webhook_from("http://127.0.0.1:9/hooks/SECRET-TOKEN")
        assert unreachable is not None and unreachable.send(ALERT) is False
        assert webhook_from("ftp://example.com/SECRET-TOKEN") is None
    text = caplog.text + repr(hook)
    assert "HTTP 500" in caplog.text and "webhook_url is not an https" in caplog.text
    assert "SECRET-TOKEN" not in text and "127.0.0.1" not in text


def test_only_https_or_this_machine() -> None:
    assert usable("https://hooks.slack.com/services/T/B/X")
    assert usable("https://discord.com/api/webhooks/1/abc")
    assert usable("http://localhost:8080/x") and usable("http://127.0.0.1/x")
    assert not usable("http://hooks.slack.com/services/T/B/X")  # in clear over the network
    assert not usable("file:///etc/passwd") and not usable("https://") and not usable("junk")
    assert webhook_from(None) is None and webhook_from("") is None
