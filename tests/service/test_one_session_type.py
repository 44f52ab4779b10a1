"""One session type: the CLI (from responses or the ledger's rollup) and the live view agree."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.builders import T0, entry
from tray_app.service.live_state import LiveState
from tray_app.service.publish import ViewSettings, build_snapshot
from tray_app.service.snapshot import SessionSummary
from tray_app.usage.json_fields import epoch, session_json
from tray_app.usage.model import Entry
from tray_app.usage.reports import by_tokens, session_of_row, session_summary, sessions
from tray_app.usage.rollup import group_parts, parts_of

NAMES = {"s0": "parser work"}
PROJECTS = {"s0": "/home/u/alpha", "s1": "/srv/api/"}


def cost(e: Entry) -> float:
    return e.total_tokens / 1000


# (minutes after T0, tokens, model, session): few sessions and models, so they repeat.
usage = st.lists(
    st.tuples(st.integers(0, 600), st.integers(1, 5000), st.sampled_from("abc"),
              st.sampled_from(["s0", "s1", "s2"])),
    min_size=1, max_size=30,
)  # fmt: skip


def _entries(rows: list[tuple[int, int, str, str]]) -> list[Entry]:
    return [entry(m, t, key=f"k{i}", model=f"claude-{mo}", session=s)
            for i, (m, t, mo, s) in enumerate(rows)]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(usage)
def test_responses_rollup_and_live_view_build_the_same_sessions(
    rows: list[tuple[int, int, str, str]],
) -> None:
    entries = _entries(rows)
    cli = {s.session_id: s for s in sessions(entries, cost, NAMES, PROJECTS)}
    rollup = {
        row.key: session_of_row(row, NAMES, PROJECTS)
        for row in group_parts(parts_of(entries, cost), lambda p: p.session_id)
    }
    assert rollup == cli  # same type, same figures, same model order (most tokens first)
    now = max(e.timestamp for e in entries) + 60
    state = LiveState(cost)
    state.load(entries, [], now)
    snap = build_snapshot(state, now, ViewSettings(), NAMES, PROJECTS)
    for live in snap.recent_sessions:
        want = cli[live.session_id]
        assert type(live) is SessionSummary
        # The live state keeps tokens per model too: the same models in the same order.
        assert live.models == want.models
        first, last = want.first_activity, want.last_activity
        assert live == session_summary(want.session_id, want.totals, want.models, first, last,
                                       NAMES, PROJECTS)  # fmt: skip


def test_models_go_most_tokens_first_then_by_name() -> None:
    assert by_tokens({"zeta": 10, "alpha": 3, "beta": 10}) == ("beta", "zeta", "alpha")
    entries = [entry(0, 10, key="a", model="alpha"), entry(1, 900, key="z", model="zeta")]
    # Before: `session ID` listed them by name, `sessions` by tokens.
    assert sessions(entries, cost)[0].models == ("zeta", "alpha")


def test_builder_looks_up_name_and_project_and_labels() -> None:
    named = session_summary("s0", sessions([entry()], cost)[0].totals, ["m"], 1.0, 2.0, NAMES,
                            PROJECTS)  # fmt: skip
    assert (named.name, named.project_path, named.label) == ("parser work", "/home/u/alpha",
                                                             "parser work")  # fmt: skip
    plain = session_summary("s1", named.totals, [], 1.0, 2.0, NAMES, PROJECTS)
    assert plain.name == "" and plain.label == "api · s1"
    assert session_summary("x", named.totals, [], 1.0, 2.0).label == "session · x"


def test_one_session_json_in_iso_or_epoch_times() -> None:
    s = sessions([entry(0, 10, session="s0")], cost, NAMES, PROJECTS)[0]
    cli = session_json(s)
    assert list(cli) == ["session_id", "name", "project_path", "first_activity",
                         "last_activity", "models", "input_tokens", "output_tokens",
                         "cache_creation_tokens", "cache_read_tokens", "total_tokens",
                         "cost_usd", "cost_complete", "unpriced_tokens", "responses"]  # fmt: skip
    assert cli["first_activity"] == T0.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    web = session_json(s, times=epoch, label=True)
    assert web["first_activity"] == T0.timestamp() and web["label"] == "parser work"
    assert list(web)[:4] == ["session_id", "name", "label", "project_path"]
    listed = session_json(s, project="alpha")
    assert list(listed)[2:4] == ["project_path", "project"] and listed["project"] == "alpha"
