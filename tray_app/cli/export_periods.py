"""`export --period daily|weekly|monthly`: one row per period (and model) as CSV or JSON."""

from __future__ import annotations

import csv
import io
from typing import Any

from tray_app.cli import render as r
from tray_app.cli.dataset import Dataset
from tray_app.cli.environment import Environment, ExitStatus
from tray_app.usage.grouping import period_of
from tray_app.usage.model import Totals
from tray_app.usage.reports import sum_totals
from tray_app.usage.rollup import group_parts
from tray_app.usage.text_safety import csv_cell

PERIODS = {"daily": "day", "weekly": "week", "monthly": "month"}
# The documented columns (docs/dashboard-and-metrics.md), in order.
PERIOD_FIELDS = [
    "period",  # 2026-02-10 (day), 2026-02-09 (the week's Monday) or 2026-02 (month), local
    "model",  # "" on the period's total row, else one model's part of it
    "input_tokens",
    "output_tokens",
    "cache_creation_tokens",
    "cache_read_tokens",
    "total_tokens",
    "cost_usd",  # USD of the priced responses (a model without a price adds no cost)
    "cost_complete",  # false when some responses had no price: cost_usd leaves them out
    "unpriced_tokens",  # tokens of those responses
    "responses",
    "first_activity",  # ISO-8601 UTC of the period's first and last counted response
    "last_activity",
]


def _row(period: str, model: str, t: Totals, first: str | None, last: str | None) -> dict[str, Any]:
    return {
        "period": period,
        "model": model,
        "input_tokens": t.input_tokens,
        "output_tokens": t.output_tokens,
        "cache_creation_tokens": t.cache_creation_tokens,
        "cache_read_tokens": t.cache_read_tokens,
        "total_tokens": t.total_tokens,
        "cost_usd": r.round_usd(t.cost_usd),
        "cost_complete": t.cost_complete,
        "unpriced_tokens": t.unpriced_tokens,
        "responses": t.responses,
        "first_activity": first,
        "last_activity": last,
    }


def export_periods(period: str, data: Dataset, env: Environment, as_json: bool) -> ExitStatus:
    """Totals per local day, week or month, each followed by its per-model rows."""
    unit = PERIODS[period]
    # Quarter-hour parts never straddle a local day: summing them is exact in any zone.
    rows = group_parts(data.day_parts(), lambda p: period_of(p.first, data.tz, unit))
    out: list[dict[str, Any]] = []
    for row in rows:
        first, last = r.iso(row.first), r.iso(row.last)
        out.append(_row(row.key, "", row.totals, first, last))
        out += [_row(row.key, model, t, first, last) for model, t in row.per_model]
    if as_json:
        totals = r.totals_json(sum_totals(row.totals for row in rows))
        print(r.dumps({period: out, "totals": totals}), file=env.stdout)
        return ExitStatus.OK
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, PERIOD_FIELDS, lineterminator="\n")
    writer.writeheader()
    # Model names come from transcripts: no control characters, no spreadsheet formulas.
    writer.writerows({k: csv_cell(v) if isinstance(v, str) else v for k, v in x.items()}
                     for x in out)  # fmt: skip
    env.stdout.write(buffer.getvalue())
    return ExitStatus.OK
