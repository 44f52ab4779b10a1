"""Narrow response reads: time order with ties in key order, a session's rows only."""

from __future__ import annotations

from pathlib import Path

from tests.builders import T0
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.response_queries import session_responses, spans
from tray_app.usage.model import Entry


def _e(key: str, minutes: float, session: str = "s1") -> Entry:
    return Entry(key, T0.timestamp() + minutes * 60, session, "claude-opus-4-6", 1, 2, 0, 0, 0)


def test_iter_responses_is_a_stable_sort_of_the_window(tmp_path: Path) -> None:
    ledger = Ledger.open(tmp_path / "l.db")
    rows = [_e("b", 5), _e("a", 5), _e("c", 1), _e("d", 99), _e("e", 0)]
    ledger.write(rows)
    got = [
        e.key
        for e in ledger.responses_between(
            T0.timestamp() + 60, T0.timestamp() + 99 * 60, ordered=True
        )
    ]
    ledger.close()
    assert got == ["c", "a", "b"]  # 'd' is at the end bound: excluded


def test_iter_responses_after_leaves_out_the_lower_bound(tmp_path: Path) -> None:
    ledger = Ledger.open(tmp_path / "l.db")
    ledger.write([_e("a", 5), _e("b", 5), _e("c", 6)])
    lo = _e("x", 5).timestamp
    got = [e.key for e in ledger.responses_between(lo, 1e18, after=True, ordered=True)]
    ledger.close()
    assert got == ["c"]


def test_spans_merge_neighbouring_quarter_hours() -> None:
    assert spans([3, 1, 2, 7, 2]) == [(900.0, 3600.0), (6300.0, 7200.0)]


def test_session_responses_read_only_that_session_in_the_window(tmp_path: Path) -> None:
    ledger = Ledger.open(tmp_path / "l.db")
    ledger.write([_e("a", 1), _e("b", 2, "s2"), _e("c", 600), _e("d", 601, "s2")])
    q = [int(e.timestamp // 900) for e in (_e("x", 1), _e("y", 600))]
    lo, hi = T0.timestamp(), T0.timestamp() + 600 * 60 + 1
    got = session_responses(ledger, {"s1"}, q, lo, hi)
    ledger.close()
    assert sorted(e.key for e in got) == ["a", "c"]
