"""Per-model busy time from quarter-hour records: the same rates as counting every response."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.builders import T0
from tray_app.adapters.prices import load_price_table
from tray_app.usage.model import Entry
from tray_app.usage.model_activity import (
    activity_of,
    busy_by_model,
    model_summaries,
    stamps_of,
)
from tray_app.usage.reports import models, totals_of

PRICES = load_price_table()
MODELS = ("claude-opus-4-6", "claude-sonnet-4-5", "mystery-9")

responses = st.lists(
    st.tuples(
        st.floats(0, 60 * 24 * 3, allow_nan=False),  # minutes after T0
        st.integers(1, 900),  # output tokens
        st.integers(0, 2),  # model
    ),
    max_size=60,
)


def _entries(given_responses: list[tuple[float, int, int]]) -> list[Entry]:
    return [
        Entry(f"k{i}", T0.timestamp() + m * 60, "s", MODELS[model], 5, out, 2, 0, 7)
        for i, (m, out, model) in enumerate(given_responses)
    ]


def _close(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (
        a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    )


@settings(max_examples=80, deadline=None)
@given(responses, st.data())
def test_summaries_from_split_records_equal_models_of_every_response(
    given_responses: list[tuple[float, int, int]], data: st.DataObject
) -> None:
    entries = _entries(given_responses)
    now = T0.timestamp() + data.draw(st.floats(0, 60 * 24 * 3)) * 60
    # Records may come from several windows (the table's quarter-hours, a window's edges).
    cut = data.draw(st.floats(0, 60 * 24 * 3)) * 60 + T0.timestamp()
    records = activity_of(stamps_of(e for e in entries if e.timestamp < cut))
    records += activity_of(stamps_of(e for e in entries if e.timestamp >= cut))
    per_model: dict[str, list[Entry]] = {}
    for e in entries:
        per_model.setdefault(e.model, []).append(e)
    totals = {m: totals_of(es, PRICES.cost) for m, es in per_model.items()}
    recent = {
        m: totals_of([e for e in es if now - 60 <= e.timestamp <= now], PRICES.cost)
        for m, es in per_model.items()
    }
    got = model_summaries(totals, busy_by_model(records), recent)
    want = models(entries, PRICES.cost, now)
    assert [m.model for m in got] == [m.model for m in want]
    for g, w in zip(got, want, strict=True):
        assert g.totals == w.totals
        assert g.share == w.share
        assert _close(g.avg_tokens_per_sec, w.avg_tokens_per_sec)
        assert _close(g.avg_usd_per_sec, w.avg_usd_per_sec)
        assert _close(g.last_minute_tokens_per_sec, w.last_minute_tokens_per_sec)


def test_a_gap_across_a_quarter_hour_counts_once_and_capped() -> None:
    t = T0.timestamp() // 900 * 900  # a quarter-hour boundary
    stamps = [(t - 10, "m"), (t + 20, "m"), (t + 2000, "m"), (t + 2030, "m")]
    records = activity_of(stamps)
    assert len(records) == 3  # three quarter-hours
    # 30 s across the first boundary, 300 s (capped) from t+20 to t+2000, 30 s inside.
    assert busy_by_model(records) == {"m": (360.0, 4)}
