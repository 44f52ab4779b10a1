"""`token-monitor watch --json` as a real process: NDJSON per snapshot, SIGTERM, kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

from tests.builders import assistant, write_jsonl


def _start(tmp_path: Path, root: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "TOKEN_MONITOR_DB": str(tmp_path / "l.db"),
           "TOKEN_MONITOR_CONFIG": str(tmp_path / "none.yaml")}  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "tray_app", "watch", "--json", "--data-dir", str(root)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


def _until(stream: IO[str], pred: Any, timeout: float = 10.0) -> dict[str, Any]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        line = stream.readline()
        if not line:
            break
        obj = json.loads(line)
        if pred(obj):
            return obj  # type: ignore[no-any-return]
    raise AssertionError("no matching snapshot")


def test_ndjson_stream_sigterm_and_kill9(tmp_path: Path) -> None:
    root = tmp_path / "projects"
    f = write_jsonl(root / "p" / "s.jsonl", [assistant("msg_1", 5, session="s1")])
    proc = _start(tmp_path, root)
    assert proc.stdout is not None
    first = _until(proc.stdout, lambda o: o["totals"]["output_tokens"] == 5)
    assert set(first) >= {"published_at", "totals", "active_block", "tracked_session"}
    assert first["tracked_session"]["session_id"] == "s1"
    assert first["published_at"].endswith("Z")
    write_jsonl(f, [assistant("msg_2", 6, session="s1")], mode="a")
    _until(proc.stdout, lambda o: o["totals"]["output_tokens"] == 11)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0  # clean shutdown: threads joined, ledger flushed

    proc = _start(tmp_path, root)
    assert proc.stdout is not None
    _until(proc.stdout, lambda o: o["totals"]["output_tokens"] == 11)
    write_jsonl(f, [assistant("msg_3", 7, session="s1")], mode="a")
    _until(proc.stdout, lambda o: o["totals"]["output_tokens"] == 18)
    proc.kill()  # kill -9: whatever was not flushed is read again, never doubled
    proc.wait(10)

    proc = _start(tmp_path, root)
    assert proc.stdout is not None
    got = _until(proc.stdout, lambda o: o["totals"]["responses"] >= 3)
    assert (got["totals"]["output_tokens"], got["totals"]["responses"]) == (18, 3)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(10) == 0
