"""The block builder's bulk path: responses read in time order as plain rows, summed per
block with no Entry (and no held member) each. Part of `BlockBuilder` (its `feed_rows`),
kept apart for length: the rule is `_push`'s, step for step, which tests prove equal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import reduce
from operator import add
from typing import TYPE_CHECKING

from tray_app.usage.block_model import Block, ends_before, floor_hour, ranked
from tray_app.usage.model import BLOCK_SECONDS, Entry, Totals

if TYPE_CHECKING:
    from tray_app.usage.block_builder import BlockBuilder

# A response as a bulk read gives it: ts, model, input, cache_5m, cache_1h, cache_read,
# output, web_search, speed, geo, cost_usd (after ts, the order `PriceTable.usd` takes).
Row = tuple[float, str, int, int, int, int, int, int, str, str, "float | None"]
RowCost = Callable[[str, int, int, int, int, int, int, str, str, "float | None"], "float | None"]
# (first, count) -> the last `count` responses from `first` on, as Entries, in feed order.
HeldFn = Callable[[float, int], Sequence[Entry]]
Per = dict[str, tuple[list[Row], list["float | None"]]]


def _totals(rows: list[Row], costs: list[float | None]) -> Totals:
    """One model's sums over its rows (each priced by `costs`), in Totals' order."""
    columns = list(zip(*rows, strict=True))  # summed in C: ints are exact in any order
    i, c5, c1, read, out = (sum(columns[k]) for k in range(2, 7))
    unpriced = costs.count(None)
    tokens = 0
    if unpriced:
        tokens = sum(sum(r[2:7]) for r, c in zip(rows, costs, strict=True) if c is None)
    return Totals(i, out, c5 + c1, read, _cost(costs, unpriced), len(rows), unpriced, tokens)


def _cost(costs: list[float | None], unpriced: int) -> float:
    """The prices added up in feed order, as `TotalsBuilder` adds them (floats: order counts)."""
    priced = [c for c in costs if c is not None] if unpriced else costs
    return round(reduce(add, priced, 0.0), 9)


Span = tuple[float, float, float, float, bool]  # start, end, first, last, official


def _block(span: Span, per: Per, costs: list[float | None]) -> Block:
    """A closed block from its rows per model and its prices in feed order."""
    start, end, first, last, official = span
    built = [(m, _totals(rows, model_costs)) for m, (rows, model_costs) in per.items()]
    parts = [t for _, t in built]
    unpriced = costs.count(None)
    totals = Totals(
        sum(t.input_tokens for t in parts), sum(t.output_tokens for t in parts),
        sum(t.cache_creation_tokens for t in parts), sum(t.cache_read_tokens for t in parts),
        _cost(costs, unpriced), len(costs), unpriced, sum(t.unpriced_tokens for t in parts),
    )  # fmt: skip
    return Block(start, end, first, last, totals, ranked(built), False, False, official)


def feed_rows(b: BlockBuilder, rows: Iterable[Row], usd: RowCost, held: HeldFn) -> None:
    """`b.feed` of these rows' responses (see `BlockBuilder.feed_rows`)."""
    if b._members:
        raise ValueError("feed_rows needs a builder without an open block")
    start = end = first = last = 0.0
    official = False
    count = fed = 0
    per: Per = {}  # the open block's rows and prices per model, first seen first
    costs: list[float | None] = []  # its prices in feed order
    due = b._due()
    for row in rows:
        ts, model, i, c5, c1, read, o, ws, speed, geo, cu = row
        if count:
            if ts > due:  # a notice written before this response may end the block
                b._start, b._end, b._official = start, end, official
                b._weigh(ts)
                end, official, due = b._end, b._official, b._due()
            if ends_before(ts, start, end, last, official):
                b._finish(_block((start, end, first, last, official), per, costs))
                count, due = 0, b._due()
        if not count:  # opened as `_push` opens a block
            start = max(floor_hour(ts), b.after)
            end, official, first = start + BLOCK_SECONDS, False, ts
            b._skip(ts if b._follows else start)
            due = b._due()
            per = {}
            costs = []
        price = usd(model, i, c5, c1, read, o, ws, speed, geo, cu)
        got = per.get(model)
        if got is None:
            got = per[model] = ([], [])
        got[0].append(row)
        got[1].append(price)
        costs.append(price)
        last = ts
        count += 1
        fed += 1
    if count:
        # The open block is held as `feed` holds it: its responses pushed again.
        entries = held(first, count)
        if len(entries) != count or entries[0].timestamp != first:
            raise ValueError("held() did not give the open block's responses")
        b._seq += fed - count  # the arrival numbers `feed` would have given
        b._pending = 0
        for entry in entries:
            b._push(entry, b.cost_of(entry))
