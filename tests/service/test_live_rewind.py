"""Late lines older than the open block regroup from their time on, never from all history."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.builders import T0, assistant, write_jsonl
from tray_app.adapters.discovery import Roots
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.prices import load_price_table
from tray_app.adapters.scanner import Engine
from tray_app.service.aggregator import ServiceOptions, UsageService
from tray_app.usage.blocks import build_blocks

PRICES = load_price_table()
NOW = T0.timestamp() + 1210 * 60


def _wait(service: UsageService, responses: int) -> None:
    end = time.monotonic() + 10
    while time.monotonic() < end:
        snap = service.latest
        if snap is not None and snap.totals.responses == responses:
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out; latest: {service.latest}")


def test_late_older_lines_give_the_from_scratch_blocks_without_loading_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, db = tmp_path / "projects", tmp_path / "l.db"
    # Three blocks: minutes 0-10, 600-610 and the open one at 1200.
    history: list[dict[str, Any] | bytes | str] = [
        assistant(f"m{m}", 10, minutes=m) for m in (0, 10, 600, 610, 1200)
    ]
    write_jsonl(root / "p" / "s1.jsonl", history)
    service = UsageService(
        lambda: Roots((root,)), db, PRICES,
        options=ServiceOptions(tick_seconds=60, flush_seconds=0.05), clock=lambda: NOW,
    )  # fmt: skip

    def refuse(self: Ledger) -> None:
        raise AssertionError("the live view loaded every response")

    monkeypatch.setattr(Ledger, "load_entries", refuse)
    service.start()
    try:
        assert service.ready.wait(10)
        _wait(service, 5)
        # A resumed file brings lines inside the finished blocks (and before the first).
        late: list[dict[str, Any] | bytes | str] = [
            assistant(f"n{m}", 20, minutes=m, session="s2") for m in (605, 5, -30)
        ]
        write_jsonl(root / "p" / "s2.jsonl", late)
        service.notify(root / "p" / "s2.jsonl")
        _wait(service, 8)
        blocks = service._state.blocks
    finally:
        service.stop()
    monkeypatch.undo()
    ledger = Ledger.open(db)
    expected = build_blocks(ledger.load_entries(), NOW, PRICES.cost)
    ledger.close()
    assert blocks == expected
    assert [b.totals.responses for b in blocks if not b.is_gap] == [4, 3, 1]


def test_a_response_another_process_counted_first_reaches_the_live_view(tmp_path: Path) -> None:
    root, db = tmp_path / "projects", tmp_path / "l.db"
    f = write_jsonl(root / "p" / "s.jsonl", [assistant("m0", 10, minutes=1200)])
    service = UsageService(
        lambda: Roots((root,)), db, PRICES,
        options=ServiceOptions(tick_seconds=60, flush_seconds=0.05), clock=lambda: NOW,
    )  # fmt: skip
    service.start()
    try:
        assert service.ready.wait(10)
        _wait(service, 1)
        write_jsonl(f, [assistant("m1", 10, minutes=1205)], mode="a")
        # A CLI run counts the new line first: for the live engine it is then no change.
        cli = Ledger.open(db)
        Engine(Roots((root,)), cli).refresh()
        cli.close()
        service.notify(f)
        _wait(service, 2)
        snap = service.latest
        assert snap is not None and snap.active_block is not None
        assert snap.active_block.block.totals.responses == 2
    finally:
        service.stop()
