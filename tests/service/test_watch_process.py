"""`token-monitor watch --json` as a real process: NDJSON per snapshot, SIGTERM, kill -9."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.builders import assistant, write_jsonl


class Watch:
    """A `watch --json` child whose stdout is drained by a thread (a full pipe never blocks it)."""

    def __init__(self, tmp_path: Path, root: Path) -> None:
        env = {**os.environ, "TOKEN_MONITOR_DB": str(tmp_path / "l.db"),
               "TOKEN_MONITOR_CONFIG": str(tmp_path / "none.yaml")}  # fmt: skip
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tray_app", "watch", "--json", "--data-dir", str(root)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        self.lines: queue.SimpleQueue[str] = queue.SimpleQueue()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def until(
        self, pred: Callable[[dict[str, Any]], bool], timeout: float = 15.0
    ) -> dict[str, Any]:
        end = time.monotonic() + timeout
        while (left := end - time.monotonic()) > 0:
            try:
                obj: dict[str, Any] = json.loads(self.lines.get(timeout=left))
            except queue.Empty:
                break
            if pred(obj):
                return obj
        self.proc.kill()
        raise AssertionError(f"no matching snapshot; stderr: {self.proc.communicate()[1][-2000:]}")

    def stop(self, sig: int) -> int:
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(20)
        except subprocess.TimeoutExpired as exc:
            self.proc.kill()
            err = self.proc.communicate()[1][-2000:]
            raise AssertionError(f"no exit after signal {sig}: {err}") from exc


def test_ndjson_stream_sigterm_and_kill9(tmp_path: Path) -> None:
    root = tmp_path / "projects"
    f = write_jsonl(root / "p" / "s.jsonl", [assistant("msg_1", 5, session="s1")])
    w = Watch(tmp_path, root)
    first = w.until(lambda o: o["totals"]["output_tokens"] == 5)
    assert set(first) >= {"published_at", "totals", "active_block", "tracked_session"}
    assert first["tracked_session"]["session_id"] == "s1"
    assert first["published_at"].endswith("Z")
    write_jsonl(f, [assistant("msg_2", 6, session="s1")], mode="a")
    w.until(lambda o: o["totals"]["output_tokens"] == 11)
    assert w.stop(signal.SIGTERM) == 0  # clean shutdown: threads joined, ledger flushed

    w = Watch(tmp_path, root)
    w.until(lambda o: o["totals"]["output_tokens"] == 11)
    write_jsonl(f, [assistant("msg_3", 7, session="s1")], mode="a")
    w.until(lambda o: o["totals"]["output_tokens"] == 18)
    w.proc.kill()  # kill -9: whatever was not flushed is read again, never doubled
    w.proc.wait(10)

    w = Watch(tmp_path, root)
    got = w.until(lambda o: o["totals"]["responses"] >= 3)
    assert (got["totals"]["output_tokens"], got["totals"]["responses"]) == (18, 3)
    assert w.stop(signal.SIGINT) == 0
