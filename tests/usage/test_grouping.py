"""Grouping invariants: rows add up to the whole, per-model splits add up to each row."""

from __future__ import annotations

from datetime import UTC, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from tray_app.usage.grouping import group, period_of, pick, project_matches, project_names
from tray_app.usage.model import Entry
from tray_app.usage.reports import totals_of

MODELS = ["claude-opus-4-5", "claude-sonnet-4-5", "claude-mystery-9"]


def cost(e: Entry) -> float | None:
    return None if e.model == "claude-mystery-9" else e.output_tokens / 1e6


entries = st.lists(
    st.builds(
        lambda i, ts, sid, model, tok: Entry(f"k{i}", ts, sid, model, tok, tok * 2, 0, 0, tok),
        st.integers(0, 10**6),
        st.floats(1.7e9, 1.8e9, allow_nan=False),
        st.sampled_from(["s1", "s2", "s3"]),
        st.sampled_from(MODELS),
        st.integers(0, 5000),
    ),
    max_size=40,
    unique_by=lambda e: e.key,
)


@given(entries, st.sampled_from(["day", "week", "month"]))
def test_rows_and_models_add_up(es: list[Entry], period: str) -> None:
    rows = group(es, lambda e: period_of(e.timestamp, UTC, period), cost)
    whole = totals_of(es, cost)
    assert sum(r.totals.total_tokens for r in rows) == whole.total_tokens
    assert sum(r.totals.responses for r in rows) == whole.responses
    assert sum(r.totals.unpriced_tokens for r in rows) == whole.unpriced_tokens
    assert [r.key for r in rows] == sorted(r.key for r in rows)
    for r in rows:
        assert sum(t.total_tokens for _, t in r.per_model) == r.totals.total_tokens
        tokens = [t.total_tokens for _, t in r.per_model]
        assert tokens == sorted(tokens, reverse=True)  # most used first
        assert r.first <= r.last


@given(st.lists(st.integers(), max_size=10), st.integers(1, 12), st.sampled_from(["asc", "desc"]))
def test_pick_keeps_the_most_recent(keys: list[int], last: int, order: str) -> None:
    rows = group([Entry(f"k{i}", 1.7e9, "s", "m") for i in range(len(keys))], lambda e: e.key, cost)
    got = pick(rows, last, order)
    assert len(got) == min(last, len(rows))
    assert {r.key for r in got} == {r.key for r in rows[-last:]}
    assert (got == got[::-1]) or (got[0].key < got[-1].key) == (order == "asc")


def test_periods_in_the_users_zone() -> None:
    tokyo = timezone(timedelta(hours=9))
    ts = 1770757919.0  # 2026-02-10 21:11:59 UTC, a Tuesday
    assert period_of(ts, UTC, "day") == "2026-02-10"
    assert period_of(ts, tokyo, "day") == "2026-02-11"
    assert period_of(ts, UTC, "week") == "2026-02-09"
    assert period_of(ts, UTC, "month") == "2026-02"


def test_project_names_never_merge_projects() -> None:
    names = project_names(["/a/web", "/b/web", "/c/api", ""], {"/c/api": "API"})
    assert names == {"/a/web": "/a/web", "/b/web": "/b/web", "/c/api": "API", "": "(no project)"}
    assert project_names(["/x/web/"], {}) == {"/x/web/": "web"}
    assert project_names(["/x/web"], {"web": "Website"}) == {"/x/web": "Website"}
    assert project_matches("/c/api", "API", names) and project_matches("/c/api", "api", names)
    assert not project_matches("/a/web", "web2", names)
