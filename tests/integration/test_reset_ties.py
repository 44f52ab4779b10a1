"""Two usage-limit lines at the same time with different resets end the block one way only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.builders import T0, entry, ts
from tests.integration.transcript_story import Copy, Notice, Response, encoded, file_of, line_of
from tray_app.usage.blocks import build_blocks
from tray_app.usage.model import ResetNotice

REPO = Path(__file__).resolve().parents[2]


def test_the_order_of_two_notices_at_one_time_does_not_move_the_block_end() -> None:
    at = T0.timestamp() + 60
    late, early = ResetNotice(at, at + 2 * 3600), ResetNotice(at, at + 3600)
    now = T0.timestamp() + 120
    one = build_blocks([entry(0, 100)], now, lambda e: 0.0, [late, early])
    other = build_blocks([entry(0, 100)], now, lambda e: 0.0, [early, late])
    assert [(b.start, b.end) for b in one] == [(b.start, b.end) for b in other]


def test_blocks_on_the_same_file_end_the_same_in_every_process(tmp_path: Path) -> None:
    # engine.resets is a set: its order followed the hash seed (the block end did too).
    r = Response(0, 0, 0, 0, 0, (Copy(1, 0, "main"),))
    lines = [line_of(r, r.copies[0]), Notice(0, 0, 1, 2).line(), Notice(1, 0, 1, 1).line()]
    f = file_of(tmp_path / "projects", r, "main")
    f.parent.mkdir(parents=True)
    f.write_bytes(b"".join(encoded(x) for x in lines))
    ends = set()
    for seed in ("0", "2"):  # seeds that ordered the two notices differently before c89a2a8
        env = {**os.environ, "PYTHONHASHSEED": seed, "TOKEN_MONITOR_DB": str(tmp_path / "l.db"),
               "TOKEN_MONITOR_CONFIG": str(tmp_path / "none.yaml")}  # fmt: skip
        run = subprocess.run(
            [sys.executable, "-m", "tray_app", "blocks", "--json", "--no-ledger",
             "--data-dir", str(tmp_path / "projects"), "--now", ts(2)],
            capture_output=True, text=True, cwd=REPO, env=env, check=True,
        )  # fmt: skip
        ends.add(run.stdout.split('"end": "')[1][:24])
    assert len(ends) == 1, ends
