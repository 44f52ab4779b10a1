"""The rollup summed in SQLite (per model, per session, per local day) equals grouping
every response, in zones with half-hour, 45-minute and daylight-saving offsets."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import T0
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.prices import load_price_table
from tray_app.adapters.rollup_queries import day_parts, merged_parts
from tray_app.adapters.usage_rollup import Rollup
from tray_app.usage.grouping import Row, group, period_of
from tray_app.usage.model import Entry
from tray_app.usage.rollup import group_parts

PRICES = load_price_table()
ZONES = ("UTC", "Asia/Kathmandu", "America/St_Johns", "Europe/Berlin", "Australia/Lord_Howe")
MODELS = ("claude-opus-4-6", "claude-sonnet-4-5", "mystery-9")

responses = st.lists(
    st.tuples(
        st.floats(0, 60 * 24 * 400, allow_nan=False),  # minutes after T0: over a year
        st.integers(1, 500),
        st.integers(0, 3),  # session
        st.integers(0, 2),  # model
    ),
    min_size=1,
    max_size=50,
)


def _rows(rows: list[Row]) -> list[tuple[object, ...]]:
    return [
        (r.key, r.totals.total_tokens, r.totals.responses, round(r.totals.cost_usd, 6),
         r.totals.unpriced_tokens, r.first, r.last, r.models)
        for r in rows
    ]  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(responses, st.sampled_from(ZONES), st.data())
def test_sums_in_sqlite_equal_grouping_every_response(
    given_responses: list[tuple[float, int, int, int]], zone: str, data: st.DataObject
) -> None:
    tz = ZoneInfo(zone)
    entries = [
        Entry(f"k{i}", T0.timestamp() + m * 60, f"s{s}", MODELS[model], 7, out, 3, 0, 11)
        for i, (m, out, s, model) in enumerate(given_responses)
    ]
    span = sorted(e.timestamp for e in entries)
    lo = data.draw(st.sampled_from([-math.inf, span[0] + 450.5]))
    hi = data.draw(st.sampled_from([math.inf, span[-1], lo + 86400 * 40.3]))
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger.open(Path(tmp) / "l.db")
        ledger.write(entries)
        rollup = Rollup(ledger, PRICES, PRICES.cost)
        assert rollup.update()
        days = day_parts(rollup, lo, hi, tz)
        per_model = merged_parts(rollup, lo, hi, "model")
        per_session = merged_parts(rollup, lo, hi, "session")
        ledger.close()
    inside = [e for e in entries if lo <= e.timestamp < hi]
    assert days is not None
    for unit in ("day", "week", "month"):
        want = group(inside, lambda e, u=unit: period_of(e.timestamp, tz, u), PRICES.cost)
        got = group_parts(days, lambda p, u=unit: period_of(p.first, tz, u))
        assert _rows(got) == _rows(want)
    assert _rows(group_parts(per_model, lambda p: p.model)) == _rows(
        group(inside, lambda e: e.model, PRICES.cost)
    )
    assert _rows(group_parts(per_session, lambda p: p.session_id)) == _rows(
        group(inside, lambda e: e.session_id, PRICES.cost)
    )
