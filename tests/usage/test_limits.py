"""docs/counting-rules.md: limit sources."""

from __future__ import annotations

from tests.builders import entry
from tray_app.usage.blocks import build_blocks
from tray_app.usage.limits import compute_limit, percentile
from tray_app.usage.model import HOUR


def _history() -> list:  # type: ignore[type-arg]
    # Four finished blocks of 100, 400, 300, 200 tokens, 6 h apart, then an active one.
    es = [entry(i * 360, t) for i, t in enumerate([100, 400, 300, 200, 50])]
    return build_blocks(es, es[-1].timestamp + 60, lambda e: 0.0)


def test_max_ignores_the_active_block_and_gaps() -> None:
    blocks = _history()
    now = blocks[-1].last_activity + 60
    lim = compute_limit(blocks, "max", now)
    assert (lim.tokens, lim.source) == (400, "max")
    assert lim.percent(200) == 50.0


def test_p90_of_recent_finished_blocks() -> None:
    blocks = _history()
    now = blocks[-1].last_activity + 60
    assert compute_limit(blocks, "p90", now).tokens == round(percentile([100, 200, 300, 400], 0.9))
    # Nothing in the last 8 days → no p90.
    assert compute_limit(blocks, "p90", now + 30 * 24 * HOUR).tokens is None


def test_custom_and_none() -> None:
    blocks = _history()
    assert compute_limit(blocks, "custom", 0, 1000).tokens == 1000
    assert compute_limit(blocks, "custom", 0, None).source == "none"
    assert compute_limit([], "max", 0).tokens is None
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) == 9.1
