"""The live view fed the same runs as the CLI shows what the CLI shows.

The tray's counting (an engine keeping changes in memory, flushed at random times, a live
state kept in step with the shared ledger) and the real UsageService thread, restarted at
random, with CLI runs counting new lines first now and then: blocks, the active block,
sessions and totals equal the CLI's after every run.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import T0, assistant, write_jsonl
from tests.integration.one_path_runs import (
    PRICES,
    Live,
    block_view,
    cli,
    cli_blocks,
    cli_sessions,
    clock,
    live_active,
    live_sessions,
    pinned_now,
    runs,
    stories,
    wait_for,
)
from tests.integration.transcript_story import (
    Notice,
    Response,
)
from tray_app.adapters.discovery import Roots
from tray_app.service.aggregator import ServiceOptions, UsageService
from tray_app.service.publish import ViewSettings, build_snapshot
from tray_app.service.snapshot import Snapshot
from tray_app.usage.json_fields import block_json, block_limit_json, session_json


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stories(), st.integers(0, 600), st.data())
def test_the_live_view_fed_the_same_runs_shows_what_the_cli_shows(
    story: tuple[list[Response], list[Notice]], after: int, data: st.DataObject
) -> None:
    # The tray's engine keeps changes in memory and flushes at random times; it restarts
    # at random (first state from the ledger's aggregates). A CLI run may count the new
    # lines before the live engine reads them (both write the one ledger).
    now = pinned_now(story, after)
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        db = tmp / "db" / "l.db"
        db.parent.mkdir()
        moving = data.draw(st.booleans())  # the clock moves between runs, or is pinned
        now = T0.timestamp() if moving else now
        live = Live(tmp / "projects", db, now)
        try:
            for tree, _ in runs(tmp, story, data):
                if moving:
                    now = clock(tree, now, data)
                    live.tick(now)
                if data.draw(st.booleans()):  # a CLI run counts the new lines first
                    cli(db, tree.root, now, ["status"])
                live.scan()
                if data.draw(st.booleans()):
                    live.scan()  # a replay: nothing new
                if data.draw(st.booleans()):  # the tray restarts (its last flush first)
                    live.stop()
                    live.start()
                    live.scan()
                live.engine.flush()
                blocks = cli(db, tree.root, now, ["blocks"])
                assert block_view(live.state.blocks) == cli_blocks(blocks)
                assert live_active(live) == cli(db, tree.root, now, ["status"])["active_block"]
                listed = cli(db, tree.root, now, ["sessions"])
                assert live_sessions(live) == cli_sessions(listed)
                # The snapshot's session objects are the CLI's (project, models, times, totals).
                snap = build_snapshot(live.state, now, ViewSettings(), {}, live.engine.projects)
                want = {x["session_id"]: x for x in listed["sessions"]}
                for got in snap.recent_sessions:
                    one = want[got.session_id]
                    assert session_json(got, project=one["project"]) == one
                total = live.state.total.build()
                assert (total.input_tokens, total.output_tokens, total.responses) == (
                    tree.totals()["input_tokens"],
                    tree.totals()["output_tokens"],
                    tree.totals()["responses"],
                )
        finally:
            live.stop()


def test_a_response_another_run_counted_first_reaches_the_running_live_view(
    tmp_path: Path,
) -> None:
    root, db = tmp_path / "projects", tmp_path / "db" / "l.db"
    db.parent.mkdir()
    f = write_jsonl(root / "p" / "s.jsonl", [])
    now = T0.timestamp() + 60
    live = Live(root, db, now)  # the tray, running
    write_jsonl(f, [assistant("msg_1", 10)], "a")  # Claude Code writes a line
    cli(db, root, now, ["status"])  # the user's report counts it first
    live.scan()
    try:
        assert live.state.total.build().responses == 1
    finally:
        live.stop()


def test_a_limit_notice_another_run_counted_first_ends_the_live_block(tmp_path: Path) -> None:
    # Found by the property test above: the report counted the limit message first, so the
    # tray's engine never read it and its live block ran the full five hours.
    root, db = tmp_path / "projects", tmp_path / "db" / "l.db"
    db.parent.mkdir()
    now = T0.timestamp() + 30 * 60
    live = Live(root, db, now)  # the tray, running before the lines exist
    notice = Notice(0, 0, 10, 1)  # at minute 10: the limit resets at the next whole hour
    write_jsonl(root / "p" / "s.jsonl", [assistant("msg_1", 10), notice.line()])
    cli(db, root, now, ["status"])  # the user's report counts both lines first
    live.scan()
    try:
        want = cli(db, root, now, ["blocks"])
        assert block_view(live.state.blocks) == cli_blocks(want)
        assert live_active(live) == cli(db, root, now, ["status"])["active_block"]
        assert live.state.blocks[0].end == (int(T0.timestamp()) // 3600 + 1) * 3600
    finally:
        live.stop()


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stories(), st.integers(0, 600), st.data())
def test_the_running_usage_service_publishes_the_cli_s_active_block(
    story: tuple[list[Response], list[Notice]], after: int, data: st.DataObject
) -> None:
    # The real service on its own thread (pinned clock), told of every run; it restarts
    # at random and a CLI run may count the new lines first.
    now = pinned_now(story, after)
    options = ServiceOptions(tick_seconds=0.2, coalesce_seconds=0.001, flush_seconds=0.05)
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        root, db = tmp / "projects", tmp / "db" / "l.db"
        db.parent.mkdir()
        root.mkdir()

        def started() -> UsageService:
            service = UsageService(lambda: Roots((root,)), db, PRICES, options=options,
                                   clock=lambda: now)  # fmt: skip
            service.start()
            return service

        service = started()
        try:
            for tree, _ in runs(tmp, story, data):
                if data.draw(st.booleans()):
                    cli(db, root, now, ["status"])
                service.notify(None)
                snap = wait_for(service, tree.totals())
                want = cli(db, root, now, ["status"])["active_block"]
                # Equal totals do not mean every copy was read: the service may have read
                # a larger, later copy and not yet an earlier one that moves the time (its
                # watcher can fire while a run's files are still being written). The live
                # view must reach the CLI's block within moments.
                deadline = time.monotonic() + 5
                while (got := _active(snap, now)) != want and time.monotonic() < deadline:
                    service.notify(None)
                    time.sleep(0.02)
                    snap = service.latest or snap
                assert got == want
                if data.draw(st.booleans()):
                    service.stop()
                    service = started()
        finally:
            service.stop()


def _active(snap: Snapshot, now: float) -> dict[str, object] | None:
    """A snapshot's active block as `status --json` writes it."""
    view = snap.active_block
    if view is None:
        return None
    return block_json(view.block, now) | block_limit_json(
        view.limit_tokens, view.limit_source, view.percent
    )


def test_a_session_another_run_counted_first_keeps_its_project_in_the_live_view(
    tmp_path: Path,
) -> None:
    root, db = tmp_path / "projects", tmp_path / "db" / "l.db"
    db.parent.mkdir()
    f = write_jsonl(root / "p" / "s.jsonl", [])
    now = T0.timestamp() + 60
    live = Live(root, db, now)  # the tray, running
    write_jsonl(f, [assistant("msg_1", 10, session="s1", cwd="/home/u/alpha")], "a")
    cli(db, root, now, ["status"])  # the user's report counts it first
    live.scan()
    try:
        snap = build_snapshot(live.state, now, ViewSettings(), {}, live.engine.projects)
        assert [s.project_path for s in snap.recent_sessions] == ["/home/u/alpha"]
    finally:
        live.stop()
