"""Five-hour blocks of a set of responses (docs/counting-rules.md), by the one builder.

The rule itself lives in `usage/block_builder.py`; this groups a finished list with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from tray_app.usage.block_builder import BlockBuilder
from tray_app.usage.block_model import Block, ModelShare, floor_hour
from tray_app.usage.model import BLOCK_SECONDS, Entry, ResetNotice, Totals

__all__ = ["Block", "ModelShare", "active_block", "build_blocks", "floor_hour", "with_gaps"]

CostFn = Callable[[Entry], "float | None"]


def build_blocks(
    entries: Iterable[Entry],
    now: float,
    cost_of: CostFn,
    resets: Iterable[ResetNotice] = (),
    after: float = 0.0,
) -> list[Block]:
    """Group responses (any order) into 5-hour blocks and idle gaps, oldest first.

    `after` is the end of an earlier block when only the newest responses are regrouped.
    """
    builder = BlockBuilder(cost_of, resets, after=after)
    builder.feed(sorted(entries, key=lambda e: e.timestamp))
    return with_gaps(builder.blocks(now))


def with_gaps(blocks: Sequence[Block]) -> list[Block]:
    """Real blocks with the idle gaps between them (more than 5 h without a response)."""
    out: list[Block] = []
    for b in blocks:
        prev = out[-1].last_activity if out else None
        first = b.first_activity
        if prev is not None and first is not None and first - prev > BLOCK_SECONDS:
            out.append(Block(prev + BLOCK_SECONDS, first, None, None, Totals(), (), False, True))
        out.append(b)
    return out


def active_block(blocks: Sequence[Block]) -> Block | None:
    """The active block, if any (only the newest can be)."""
    return blocks[-1] if blocks and blocks[-1].is_active else None
