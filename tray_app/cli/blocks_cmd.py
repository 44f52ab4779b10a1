"""`blocks`: 5-hour blocks and idle gaps as a table that fits, with the block-only flags."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from tray_app.cli import render as r
from tray_app.cli import report_table as rt
from tray_app.cli.dataset import Dataset, load
from tray_app.cli.environment import Environment, ExitStatus
from tray_app.cli.reports_cmd import _blocks, _in_window, warn_unpriced
from tray_app.cli.table import Col, Line, Rendered, render
from tray_app.usage import formatting as fmt
from tray_app.usage.blocks import Block
from tray_app.usage.grouping import model_order
from tray_app.usage.limits import Limit, compute_limit
from tray_app.usage.reports import sum_totals

COLS = [
    Col("Start", right=False),
    Col("End", right=False),
    Col("State", right=False),  # never dropped: without it a gap row reads as an empty block
    Col("Models", right=False, models=True),
    Col("Tokens"),
    Col("% limit", drop=2, compact=False),
]


def _limit(blocks: list[Block], limit: Limit, args: argparse.Namespace, env: Environment) -> Limit:
    """`--token-limit max|p90|N` instead of the configured limit."""
    wanted = args.token_limit
    if wanted is None:
        return limit
    if isinstance(wanted, int):
        return compute_limit(blocks, "custom", env.now, wanted)
    return compute_limit(blocks, wanted, env.now)


def _last(blocks: list[Block], n: int | None) -> list[Block]:
    """The `n` most recent blocks and the gaps between them."""
    if not n:
        return blocks
    starts = [i for i, b in enumerate(blocks) if not b.is_gap]
    return blocks[starts[-n] :] if len(starts) >= n else blocks


def _end(b: Block, data: Dataset) -> str:
    """The end time, with its date when it falls on another day than the start."""
    start, end = (datetime.fromtimestamp(t, data.tz).date() for t in (b.start, b.end))
    return r.local_time(b.end, data.tz, start != end)


def _models(b: Block) -> tuple[tuple[str, Any], ...]:
    return model_order({m.model: m.totals for m in b.models})


def _lines(
    blocks: list[Block], limit: Limit, data: Dataset, args: argparse.Namespace
) -> list[Line]:
    lines = []
    for b in blocks:
        start = r.local_time(b.start, data.tz)
        if b.is_gap:
            lines.append(
                Line(
                    [start, _end(b, data), "gap", "", "", "", *([] if args.no_cost else [""])],
                    "gap",
                )
            )
            continue
        pct = limit.percent(b.tokens)
        cells = [start, _end(b, data), "ACTIVE" if b.is_active else "",
                 [m for m, _ in _models(b)], f"{b.tokens:,}",
                 fmt.percent(pct) if pct is not None else ""]  # fmt: skip
        if not args.no_cost:
            cells.append(fmt.totals_cost(b.totals))
        lines.append(Line(cells, "active" if b.is_active else ""))
        if args.breakdown:
            for model, t in _models(b):
                sub = ["", "", "", f"└─ {model}", f"{t.total_tokens:,}", ""]
                lines.append(Line(sub + ([] if args.no_cost else [fmt.totals_cost(t)]), "sub"))
    return lines


def cmd_blocks(args: argparse.Namespace, env: Environment) -> ExitStatus:
    """5-hour blocks (and idle gaps), oldest first (`--order desc`: newest first)."""
    data = load(args, env, blocks=True)
    every, limit = _blocks(data, env)
    limit = _limit(every, limit, args, env)
    blocks = _in_window(every, data)
    if args.active:
        blocks = [b for b in blocks if b.is_active]
    elif args.recent:
        blocks = [b for b in blocks if b.end >= env.now - 3 * 86400]
    blocks = _last(blocks, args.last)
    if args.order == "desc":
        blocks = blocks[::-1]
    if not args.no_cost:
        # All history's blocks carry per-model totals: no rollup read just for the warning.
        unpriced = None if data.filtered else sorted(
            {m.model for b in every for m in b.models if m.totals.unpriced_responses}
        )  # fmt: skip
        warn_unpriced(env, data, unpriced)
    total = sum_totals(b.totals for b in blocks if not b.is_gap)
    payload: dict[str, Any] = {
        "blocks": [r.block_json(b, env.now, limit) for b in blocks],
        "limit": r.limit_json(limit),
        "totals": r.totals_json(total),
        "totals_label": data.label,
    }
    if args.json:  # the table is never printed: rendering it cost most of a big report
        text = ""
    elif not blocks:
        text = "No active block." if args.active else "No blocks."
    else:
        cols = [*COLS] if args.no_cost else [*COLS, Col("Cost")]
        lines = _lines(blocks, limit, data, args)
        total_cells = ["Total", "", "", "", f"{total.total_tokens:,}", ""]
        lines.append(
            Line(total_cells + ([] if args.no_cost else [fmt.totals_cost(total)]), "total")
        )
        text = render(cols, lines, rt.output_of(args, env))
        limit_line = f"Limit: {limit.label}" + (f" ({limit.tokens:,})" if limit.tokens else "")
        text = Rendered(f"{text}\n{limit_line}")
    rt.show(env, args, payload, text)
    return ExitStatus.OK
