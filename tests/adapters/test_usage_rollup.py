"""The ledger's rollup: after any writes, parts sum to exactly what the responses give."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import T0
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.prices import load_price_table
from tray_app.adapters.usage_rollup import Rollup
from tray_app.usage.dedup import Deduper
from tray_app.usage.grouping import Row, group, period_of
from tray_app.usage.model import Entry
from tray_app.usage.rollup import group_parts, parts_of

PRICES = load_price_table()
ZONES = ("UTC", "Asia/Kathmandu", "America/St_Johns", "Europe/Berlin", "Pacific/Chatham")
MODELS = ("claude-opus-4-6", "claude-sonnet-4-5", "mystery-9")  # the last one has no price


def _entry(key: int, minutes: float, out: int, session: int, model: int) -> Entry:
    t = T0.timestamp() + minutes * 60
    return Entry(f"k{key}", t, f"s{session}", MODELS[model], 7, out, 3, 0, 11)


copies = st.lists(
    st.tuples(
        st.integers(0, 30),  # key
        st.floats(0, 60 * 24 * 9, allow_nan=False),  # minutes after T0
        st.integers(1, 500),  # output
        st.integers(0, 3),  # session
        st.integers(0, 2),  # model
        st.booleans(),  # read the rollup after this copy
    ),
    min_size=1,
    max_size=40,
)


def _rows(rows: list[Row]) -> list[tuple[object, ...]]:
    return [
        (r.key, r.totals.total_tokens, r.totals.responses, round(r.totals.cost_usd, 6),
         r.totals.unpriced_tokens, r.first, r.last, r.models)
        for r in rows
    ]  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(copies, st.sampled_from(ZONES), st.data())
def test_rollup_after_any_writes_equals_a_count_from_scratch(
    given_copies: list[tuple[int, float, int, int, int, bool]], zone: str, data: st.DataObject
) -> None:
    tz = ZoneInfo(zone)
    deduper = Deduper()
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger.open(Path(tmp) / "l.db")
        rollup = Rollup(ledger, PRICES, PRICES.cost)
        for key, minutes, out, session, model, read in given_copies:
            change = deduper.offer(_entry(key, minutes, out, session, model))
            if change is not None:  # late, earlier and larger copies: rebuilt from their time
                ledger.write([change.new])
            if read:
                assert rollup.update()
        assert rollup.update()
        truth = list(deduper)
        span = sorted(e.timestamp for e in truth)
        lo = data.draw(st.sampled_from([-math.inf, span[0], span[0] + 450.5, span[-1] - 1]))
        hi = data.draw(st.sampled_from([math.inf, span[-1], span[-1] + 1, lo + 3600.25]))
        parts = rollup.parts(lo, hi)
        ledger.close()
    inside = [e for e in truth if lo <= e.timestamp < hi]
    for unit in ("day", "week", "month"):
        want = group(inside, lambda e, u=unit: period_of(e.timestamp, tz, u), PRICES.cost)
        got = group_parts(parts, lambda p, u=unit: period_of(p.timestamp, tz, u))
        assert _rows(got) == _rows(want)
    by_session = group(inside, lambda e: e.session_id, PRICES.cost)
    assert _rows(group_parts(parts, lambda p: p.session_id)) == _rows(by_session)


def test_a_new_line_rebuilds_only_its_quarter_hour(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = Ledger.open(tmp_path / "l.db")
    ledger.write([_entry(i, i * 7.0, 10, i % 3, 0) for i in range(200)])
    rollup = Rollup(ledger, PRICES, PRICES.cost)
    assert rollup.update()
    asked: list[float] = []
    real = Ledger.entries_between

    def between(self: Ledger, lo: float, hi: float = 1e18, after: bool = False) -> list[Entry]:
        asked.append(lo)
        return real(self, lo, hi, after)

    def refuse(self: Ledger) -> None:
        raise AssertionError("the rollup loaded every response")

    monkeypatch.setattr(Ledger, "load_entries", refuse)
    monkeypatch.setattr(Ledger, "entries_between", between)
    new = _entry(999, 200 * 7.0 + 3, 5, 1, 1)
    ledger.write([new])
    assert rollup.update()
    assert asked == [new.timestamp // 900 * 900]  # the new line's quarter-hour, no further back
    parts = rollup.parts()
    assert sum(p.totals.responses for p in parts) == 201
    assert sum(p.totals.output_tokens for p in parts) == 200 * 10 + 5


def test_other_prices_rebuild_the_costs(tmp_path: Path) -> None:
    ledger = Ledger.open(tmp_path / "l.db")
    ledger.write([_entry(1, 0, 10, 0, 2)])  # mystery-9: unpriced
    assert Rollup(ledger, PRICES, PRICES.cost).update()
    (part,) = Rollup(ledger, PRICES, PRICES.cost).parts()
    assert part.totals.unpriced_responses == 1 and part.totals.cost_usd == 0.0
    priced = PRICES.with_overrides({"mystery-9": {"input": 1.0, "output": 2.0}})
    again = Rollup(ledger, priced, priced.cost)
    assert again.update()
    (part,) = again.parts()
    assert part.totals.unpriced_responses == 0
    assert part.totals.cost_usd == pytest.approx(priced.cost(_entry(1, 0, 10, 0, 2)) or -1)
    assert parts_of([_entry(1, 0, 10, 0, 2)], priced.cost)[0].totals == part.totals
