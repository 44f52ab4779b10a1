"""The ledger's model activity table follows the rollup: any writes, any window, exact."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import T0
from tray_app.adapters import model_activity
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.prices import load_price_table
from tray_app.adapters.usage_rollup import Rollup
from tray_app.usage.dedup import Deduper
from tray_app.usage.model import Entry
from tray_app.usage.model_activity import activity_of, busy_by_model, stamps_of

PRICES = load_price_table()
MODELS = ("claude-opus-4-6", "claude-sonnet-4-5")

copies = st.lists(
    st.tuples(
        st.integers(0, 25),  # key
        st.floats(0, 60 * 24 * 2, allow_nan=False),  # minutes after T0
        st.integers(1, 500),  # output
        st.integers(0, 1),  # model
        st.booleans(),  # read the table after this copy
    ),
    min_size=1,
    max_size=40,
)


def _entry(key: int, minutes: float, out: int, model: int) -> Entry:
    return Entry(f"k{key}", T0.timestamp() + minutes * 60, "s", MODELS[model], 3, out, 0, 0, 1)


def _busy(records: list[model_activity.Activity]) -> dict[str, tuple[float, int]]:
    return {m: (round(b, 6), n) for m, (b, n) in busy_by_model(records).items()}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(copies, st.data())
def test_table_after_any_writes_equals_a_count_from_scratch(
    given_copies: list[tuple[int, float, int, int, bool]], data: st.DataObject
) -> None:
    deduper = Deduper()
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger.open(Path(tmp) / "l.db")
        rollup = Rollup(ledger, PRICES, PRICES.cost)
        for key, minutes, out, model, read in given_copies:
            change = deduper.offer(_entry(key, minutes, out, model))
            if change is not None:  # late, earlier and larger copies move the dirty mark
                ledger.write([change.new])
            if read:
                assert rollup.update() and model_activity.update(ledger)
        assert rollup.update() and model_activity.update(ledger)
        truth = list(deduper)
        span = sorted(e.timestamp for e in truth)
        lo = data.draw(st.sampled_from([-math.inf, span[0], span[0] + 450.5]))
        hi = data.draw(st.sampled_from([math.inf, span[-1] + 1, lo + 3600.25]))
        got = model_activity.window_activity(ledger, lo, hi)
        ledger.close()
    want = activity_of(stamps_of(e for e in truth if lo <= e.timestamp < hi))
    assert _busy(got) == _busy(want)


def test_a_new_line_rebuilds_only_its_quarter_hour() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger.open(Path(tmp) / "l.db")
        old = [_entry(i, i * 30.0, 10, 0) for i in range(10)]  # 5 hours of history
        ledger.write(old)
        rollup = Rollup(ledger, PRICES, PRICES.cost)
        assert rollup.update() and model_activity.update(ledger)
        # A marker in an old row shows which rows a rebuild rewrote.
        ledger.db.execute_sql("UPDATE model_activity SET busy = 12345 WHERE q = ?",
                              (int(old[0].timestamp // 900),))  # fmt: skip
        ledger.write([_entry(99, 10 * 30.0 + 1, 10, 0)])
        assert rollup.update() and model_activity.update(ledger)
        rows = model_activity.activity(ledger, -(2**62), 2**62)
        ledger.close()
    assert max(a.busy for a in rows) == 12345  # the old quarter-hour was not rebuilt
    assert sum(a.responses for a in rows) == 11
