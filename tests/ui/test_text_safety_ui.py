"""Hostile names and paths in the tray (tooltip, header, menu), dialogs, notifications
and the terminal view; the rename dialog refuses what `token-monitor name` refuses."""

from __future__ import annotations

import argparse
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from tests.builders import assistant, write_jsonl
from tests.ui.factories import NOW, session, snapshot
from tests.ui.fakes import RecordingController, ScriptedDialog, dummy_pystray
from tray_app.adapters.config import Settings
from tray_app.adapters.ledger import Ledger
from tray_app.cli.environment import Environment
from tray_app.cli.watch_cmd import dashboard, frame, one_line
from tray_app.service.runtime import LiveRuntime
from tray_app.ui import dialog
from tray_app.ui.controller import AppController
from tray_app.ui.menu import UiState, build_menu, find
from tray_app.ui.menu_actions import MenuActions
from tray_app.ui.notify import Notifier
from tray_app.ui.tooltip import tooltip_text
from tray_app.ui.tray import TrayApp

pystray = dummy_pystray()
EVIL = "ok\x1b]0;pwned\x07\x1b[2J\rforged\nline\u202eevil\x9b31m!"
SHOWN = "ok forged lineevil!"
STATE = UiState(limit_mode="p90", limit_tokens=None, notifications=True, autostart=False)


def evil_snapshot(name: str = EVIL) -> Any:
    tracked = session(name=name, project="/home/u/" + EVIL)
    return snapshot(tracked_session=tracked, recent_sessions=(tracked,))


def test_tooltip_and_menu_show_one_clean_capped_line_per_item() -> None:
    long = "L" * 60 + "\nForged header"
    recent = session("fedcba9876543210", name=EVIL)
    snap = snapshot(tracked_session=session(name=long), recent_sessions=(recent,))
    assert tooltip_text(snap, NOW, UTC).split("\n")[-1] == (
        f"Session (auto): {'L' * 47}… · 320k tok · $1.23"
    )
    app = TrayApp(
        RecordingController(), STATE, ask_text=ScriptedDialog(), tz=UTC, clock=lambda: NOW
    )
    app.publish(snap)
    items = [i.text for i in app.icon.menu.items]
    assert items[:5] == [
        "Block: 1.3M tok · 63% of p90 (2M)",
        "Resets 03:00 (in 3 h)",
        "Burn: 12k tok/min · $4.20/h",
        "Projected: 2.1M tok · $12.34",
        f"Session (auto): {'L' * 47}… · 320k tok · $1.23",
    ]
    assert items[5] == "- - - -"  # the separator: no forged header line before it
    tracked = next(i for i in app.icon.menu.items if i.text == "Tracked session")
    assert [i.text for i in tracked.submenu.items] == [
        "Latest active (automatic)",
        f"{SHOWN} — 320k tok",
        f"{'L' * 47}… — 320k tok",
    ]
    assert app.icon.title == tooltip_text(snap, NOW, UTC)
    assert "\x1b" not in app.icon.title and "\u202e" not in app.icon.title


def test_unnamed_session_label_cleans_the_project_path() -> None:
    snap = snapshot(tracked_session=session(project="/srv/" + EVIL), recent_sessions=())
    assert tooltip_text(snap, NOW, UTC).split("\n")[-1] == (
        f"Session (auto): {SHOWN} · 01234567 · 320k tok · $1.23"
    )


def test_error_text_is_cleaned() -> None:
    snap = snapshot(status="error", error="cannot read /x/" + EVIL)
    assert tooltip_text(snap, NOW, UTC) == f"Error: cannot read /x/{SHOWN}"


def test_rename_dialog_prefill_is_clean_and_bad_names_are_asked_again() -> None:
    menu = build_menu(evil_snapshot(), STATE, NOW, UTC)
    rename = find(menu, "Rename tracked session").action
    assert rename is not None and rename.prefill == SHOWN

    class Refusing(RecordingController):
        def rename_session(self, session_id: str, name: str) -> str | None:
            super().rename_session(session_id, name)
            return (
                "session fedcba98 is already named 'dup'; pick another name"
                if name == "dup"
                else None
            )

    ctl = Refusing()
    ask = ScriptedDialog("two\nlines", "dup", "  fine  ")
    MenuActions(ctl, ask, lambda job: job()).invoke(rename)
    prompt = "Name for this session (empty clears it):"
    assert ask.asked == [
        ("Rename tracked session", prompt, SHOWN),
        (
            "Rename tracked session",
            "the name contains control characters (U+000A); use plain text.\n" + prompt,
            "two lines",
        ),
        (
            "Rename tracked session",
            "session fedcba98 is already named 'dup'; pick another name.\n" + prompt,
            "dup",
        ),
    ]
    assert ctl.calls == [
        ("rename_session", "0123456789abcdef", "dup"),
        ("rename_session", "0123456789abcdef", "fine"),
    ]


def test_the_running_service_refuses_duplicates_and_id_lookalikes(tmp_path: Path) -> None:
    root = tmp_path / "claude" / "projects"
    sid_a, sid_b = "aaaa1111-0000-4000-8000-000000000001", "bbbb2222-0000-4000-8000-000000000002"
    write_jsonl(root / "p" / "a.jsonl", [assistant("m1", 5, session=sid_a)])
    write_jsonl(root / "p" / "b.jsonl", [assistant("m2", 5, session=sid_b)])
    db = tmp_path / "l.db"
    runtime = LiveRuntime(Settings(data_dirs=(str(root),)), {"TOKEN_MONITOR_DB": str(db)})
    runtime.start()
    try:
        assert runtime.service.ready.wait(10)
        ctl = AppController(runtime.service, Settings(), tmp_path, {})
        assert ctl.rename_session(sid_b, "Refactor") is None
        assert ctl.rename_session(sid_a, "REFACTOR") == (
            "session bbbb2222 is already named 'Refactor'; pick another name"
        )
        assert ctl.rename_session(sid_a, "bbbb") == (
            "'bbbb' looks like a session id (bbbb2222…); a name must not be mistaken for an id"
        )
        assert ctl.rename_session(sid_a, "x\x1b[2J") is not None
        assert ctl.rename_session(sid_a, "parser") is None
    finally:
        runtime.stop()
    ledger = Ledger.open(db)
    assert {s: m.name for s, m in ledger.sessions().items()} == {sid_a: "parser", sid_b: "Refactor"}
    ledger.close()


def test_notifications_are_cleaned_before_they_reach_the_desktop() -> None:
    seen: list[dict[str, Any]] = []
    notifier = Notifier(icon="", backend=lambda **kw: seen.append(kw))
    assert notifier.send("Block 80%" + EVIL, "line one\x1b[2J\nline two\u202e")
    assert (seen[0]["title"], seen[0]["message"]) == (f"Block 80%{SHOWN}", "line one\nline two")


def test_dialog_programs_get_clean_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dialog.sys, "platform", "linux")
    monkeypatch.setattr(dialog.shutil, "which", lambda name: "/usr/bin/zenity")
    assert dialog.command_for("T" + EVIL, "<b>why</b> & " + EVIL + "\nName:", EVIL) == [
        "zenity", "--entry", "--title", "T" + SHOWN,
        "--text", "&lt;b&gt;why&lt;/b&gt; &amp; ok forged\nlineevil!\nName:",
        "--entry-text", SHOWN,
    ]  # fmt: skip


def _args(**kw: bool) -> argparse.Namespace:
    return argparse.Namespace(json=kw.get("json", False), compact=kw.get("compact", False))


def test_watch_views_are_clean(monkeypatch: pytest.MonkeyPatch) -> None:
    snap = evil_snapshot()
    env = Environment()
    board = dashboard(snap, env, UTC)
    assert f"Session {SHOWN} (latest active)" in board.split("\n")
    assert "\x1b" not in board and "\u202e" not in board and "\x9b" not in board
    assert f"  {frame(snap, _args(), False, env, UTC)}".count("\n") == 1
    error = snapshot(status="error", active_block=None, error="bad\x1b]0;t\x07 dir\nx")
    assert one_line(error) == "error: bad dir x"
    assert frame(error, _args(compact=True), True, env, UTC) == "\r\x1b[Kerror: bad dir x"
    ndjson = frame(snap, _args(json=True), False, env, UTC)
    assert ndjson.count("\n") == 1 and "\\u202e" in ndjson and "\\u009b" in ndjson
    assert "\u202e" not in ndjson and "\x9b" not in ndjson
