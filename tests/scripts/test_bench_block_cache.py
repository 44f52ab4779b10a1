"""The block cache bench times a first build on a copy and leaves the given ledger as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts import bench_block_cache
from tests.builders import T0
from tray_app.adapters.block_cache import BlockCache
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.prices import load_price_table
from tray_app.usage.model import Entry


def test_it_prints_the_blocks_a_first_build_stores(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "l.db"
    ledger = Ledger.open(path)
    at = T0.timestamp()
    # Three blocks: two closed (stored), the newest open (not stored).
    ledger.write(
        [Entry(f"k{i}", at + i * 6 * 3600, "s", "claude-opus-4-6", 5, 5) for i in range(3)]
    )
    prices = load_price_table()
    assert BlockCache(ledger, prices, prices.cost).blocks(at, []) is not None
    ledger.close()
    before = path.read_bytes()
    assert bench_block_cache.main(["--ledger", str(path), "--repeat", "2"]) == 0
    out = capsys.readouterr().out
    assert "first build: thread time median" in out
    assert "2 blocks stored" in out
    assert path.read_bytes() == before  # timed on copies
