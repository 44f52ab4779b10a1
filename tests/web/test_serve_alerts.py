"""`serve` with budgets and a webhook: a crossed budget reaches a local receiver, once."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from http.server import HTTPServer
from pathlib import Path

from tests.adapters.test_webhook import Receiver
from tests.builders import assistant, write_jsonl
from tests.web.served import Served, environment, wait_for


def test_budget_alert_posts_to_the_webhook_once(tmp_path: Path) -> None:
    handler = type("R", (Receiver,), {"got": [], "status": 200})
    receiver = HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    line = assistant("msg_budget", 2000, session="budget-s", input_tokens=50_000,
                     model="claude-opus-4-6")  # fmt: skip
    line["timestamp"] = datetime.fromtimestamp(time.time() - 60, UTC).isoformat()
    data = tmp_path / "data"
    write_jsonl(data / "projects/-home-u-b/b.jsonl", [line])
    url = f"http://127.0.0.1:{receiver.server_port}/hook/SECRET"
    config = f"budgets: {{daily: 0.1}}\nbudget_thresholds: [50, 100]\nwebhook_url: {url}\n"
    env = environment(tmp_path / "home", config)
    try:
        served = Served(env, "serve", "--data-dir", str(data))
        try:
            got = wait_for(lambda: list(handler.got), timeout=20)
            time.sleep(1.0)  # nothing else arrives: one alert for the period
        finally:
            assert served.stop() == 0, served.stderr
        assert "SECRET" not in served.stderr
    finally:
        receiver.shutdown()
        receiver.server_close()
    assert len(handler.got) == 1
    body = got[0]["body"]
    assert body["text"].startswith("*Claude daily budget reached*")  # $0.30 of $0.10
    assert json.loads(json.dumps(body))["content"] == body["text"]
