"""The live watch process keeps counting through bad lines and odd files (issue 8)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.builders import assistant, write_jsonl
from tests.service.test_watch_process import Watch

pytestmark = pytest.mark.skipif(os.name != "posix", reason="FIFOs and /dev/zero are POSIX")


def test_watch_survives_bad_values_and_odd_files(tmp_path: Path) -> None:
    root = tmp_path / "projects"
    huge = assistant("msg_bad", 5, session="s1")
    huge["message"]["usage"]["input_tokens"] = 2**63
    f = write_jsonl(root / "p" / "s.jsonl", [assistant("msg_1", 5, session="s1"), huge])
    os.mkfifo(root / "p" / "fifo.jsonl")
    (root / "p" / "zero.jsonl").symlink_to("/dev/zero")
    w = Watch(tmp_path, root)
    w.until(lambda o: o["totals"]["output_tokens"] == 5)
    # While running: more bad values, a far-future time, a new FIFO and a /dev/zero link.
    late = assistant("msg_late", 5, session="s1", minutes=2)
    late["timestamp"] = "9999-12-31T23:59:59Z"
    floaty = assistant("msg_float", 5, session="s1", minutes=2)
    floaty["message"]["usage"]["output_tokens"] = 1e30
    write_jsonl(f, [late, floaty, assistant("msg_2", 6, session="s1", minutes=3)], mode="a")
    w.until(lambda o: o["totals"]["output_tokens"] == 11)
    os.mkfifo(root / "p" / "fifo2.jsonl")
    (root / "p" / "zero2.jsonl").symlink_to("/dev/zero")
    write_jsonl(root / "p" / "t.jsonl", [assistant("msg_3", 7, session="s2", minutes=4)])
    got = w.until(lambda o: o["totals"]["output_tokens"] == 18)
    assert got["totals"]["responses"] == 3
    assert w.proc.poll() is None  # still running
    assert w.stop(signal.SIGTERM) == 0
