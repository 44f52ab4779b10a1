"""The menu model, its pystray rendering, and clicks reaching the controller."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC

import pytest

from tests.ui.factories import NOW, idle, session, snapshot
from tests.ui.fakes import RecordingController, ScriptedDialog, dummy_pystray
from tray_app.ui.menu import (
    Action,
    Entry,
    UiState,
    build_menu,
    expected_state,
    find,
    to_pystray,
)
from tray_app.ui.menu_actions import MenuActions, Worker

pystray = dummy_pystray()  # a headless `import pystray` fails with DisplayNameError
STATE = UiState(limit_mode="p90", limit_tokens=None, notifications=True, autostart=False)


def run_now(job: Callable[[], None]) -> None:
    """Synchronous submit, so tests see calls at once."""
    job()


def texts(entries: tuple[Entry, ...]) -> list[str]:
    return [e.text if e.kind != "separator" else "---" for e in entries]


def test_top_level_items() -> None:
    menu = build_menu(snapshot(), STATE, NOW, UTC)
    assert texts(menu) == [
        "Block: 1.3M tok · 63% of p90 (2M)",
        "Resets 03:00 (in 3 h)",
        "Burn: 12k tok/min · $4.20/h",
        "Projected: 2.1M tok · $12.34",
        "Session (auto): refactor parser · 320k tok · $1.23",
        "---",
        "Tracked session",
        "Rename tracked session…",
        "Limit",
        "Model for new sessions",
        "Budgets",
        "---",
        "Notifications",
        "Launch at login",
        "Open dashboard",
        "Open data folder",
        "---",
        "Quit",
    ]
    assert all(e.kind == "label" and not e.enabled for e in menu[:5])
    assert find(menu, "Notifications") == Entry(
        "Notifications", "check", Action("notifications", "off"), checked=True
    )
    assert find(menu, "Launch at login").action == Action("autostart", "on")
    assert not find(menu, "Launch at login").checked


def test_sessions_submenu_automatic() -> None:
    sessions = find(build_menu(snapshot(), STATE, NOW, UTC), "Tracked session").children
    assert [(e.text, e.checked, e.action) for e in sessions] == [
        ("Latest active (automatic)", True, Action("track")),
        ("refactor parser — 320k tok", False, Action("track", "0123456789abcdef")),
        ("api · fedcba98 — 63k tok", False, Action("track", "fedcba9876543210")),
    ]
    assert all(e.kind == "radio" for e in sessions)


def test_a_chosen_old_session_is_listed_and_checked() -> None:
    old = session("aaaabbbbccccdddd", project="/x/legacy", tokens=5_000)
    recent = (session(name="refactor parser"), session("fedcba9876543210", project="/srv/api"))
    snap = snapshot(tracked_session=old, tracking_auto=False, recent_sessions=recent)
    sessions = find(build_menu(snap, STATE, NOW, UTC), "Tracked session").children
    assert [e.checked for e in sessions] == [False, False, False, True]
    assert sessions[-1].text == "legacy · aaaabbbb — 5k tok"


def test_rename_prefills_and_needs_a_session() -> None:
    menu = build_menu(snapshot(), STATE, NOW, UTC)
    assert find(menu, "Rename").action == Action("rename", "0123456789abcdef", "refactor parser")
    assert not find(build_menu(idle(tracked_session=None), STATE, NOW, UTC), "Rename").enabled
    assert not find(build_menu(None, STATE, NOW, UTC), "Rename").enabled


@pytest.mark.parametrize(
    ("mode", "tokens", "checked", "custom"),
    [
        ("max", None, [True, False, False], "Custom…"),
        ("p90", 900_000, [False, True, False], "Custom…"),
        ("custom", 1_500_000, [False, False, True], "Custom… (1.5M)"),
    ],
)
def test_limit_submenu(mode: str, tokens: int | None, checked: list[bool], custom: str) -> None:
    state = UiState(mode, tokens, notifications=False, autostart=True)
    limits = find(build_menu(snapshot(), state, NOW, UTC), "Limit").children
    assert [e.checked for e in limits] == checked
    assert texts(limits) == ["Max of past blocks", "P90 of past blocks", custom]
    assert limits[2].action == Action("custom_limit", prefill=str(tokens) if tokens else "")


def test_pystray_menu_mirrors_the_model() -> None:
    seen: list[Action] = []
    menu = to_pystray(build_menu(snapshot(), STATE, NOW, UTC), seen.append, pystray)
    items = list(menu.items)
    assert items[0].text == "Block: 1.3M tok · 63% of p90 (2M)"
    assert not items[0].enabled and items[0].checked is None
    assert items[5] is pystray.Menu.SEPARATOR
    sessions = items[6].submenu
    assert sessions is not None
    auto, first, _second = sessions.items
    assert (auto.checked, auto.radio, first.checked, first.radio) == (True, True, False, True)
    notifications = next(i for i in items if i.text == "Notifications")
    assert (notifications.checked, notifications.radio) == (True, False)
    first(None)  # what pystray does on a click
    notifications(None)
    items[0](None)  # a header does nothing
    assert seen == [Action("track", "0123456789abcdef"), Action("notifications", "off")]


def test_every_action_reaches_the_controller() -> None:
    controller = RecordingController()
    dialog = ScriptedDialog("  new name ", "1.5M", None, None, "", "lots")
    actions = MenuActions(controller, dialog, run_now)
    for action in (
        Action("track"),
        Action("track", "abc"),
        Action("rename", "abc", "old"),
        Action("custom_limit", prefill="900000"),
        Action("rename", "abc", "old"),  # cancelled
        Action("custom_limit"),  # cancelled
        Action("rename", "abc", "old"),  # emptied
        Action("custom_limit"),  # not a number
        Action("limit", "max"),
        Action("notifications", "on"),
        Action("autostart", "off"),
        Action("open_dashboard"),
        Action("open_data"),
        Action("quit"),
    ):
        actions.invoke(action)
    assert controller.calls == [
        ("track_session", None),
        ("track_session", "abc"),
        ("rename_session", "abc", "new name"),
        ("set_limit", "custom", 1_500_000),
        ("rename_session", "abc", ""),
        ("set_limit", "max", None),
        ("set_notifications", True),
        ("set_autostart", False),
        ("open_dashboard",),
        ("open_data_folder",),
        ("quit",),
    ]
    assert dialog.asked[0] == (
        "Rename tracked session",
        "Name for this session (empty clears it):",
        "old",
    )
    assert dialog.asked[1][2] == "900000"


def test_worker_keeps_click_order_off_the_calling_thread(caplog: pytest.LogCaptureFixture) -> None:
    controller = RecordingController()
    worker = Worker()
    done = threading.Event()
    actions = MenuActions(controller, ScriptedDialog(), worker.submit)
    for i in range(20):
        actions.invoke(Action("track", str(i)))

    def boom() -> None:
        raise RuntimeError("disk full")

    with caplog.at_level(logging.ERROR):
        worker.submit(boom)
        worker.submit(done.set)
        assert done.wait(5)
    worker.shutdown()
    worker.submit(lambda: controller.quit())  # ignored after shutdown
    assert [c[1] for c in controller.calls] == [str(i) for i in range(20)]
    assert set(controller.threads) == {"tray-action_0"}
    assert "menu action failed" in caplog.text


def test_expected_state_after_a_click() -> None:
    custom = UiState("custom", 900_000, notifications=True, autostart=False)
    assert expected_state(custom, Action("notifications", "off")).notifications is False
    assert expected_state(custom, Action("autostart", "on")).autostart is True
    assert expected_state(custom, Action("limit", "p90")) == UiState("p90", None, True, False)
    for unchanged in (Action("custom_limit"), Action("track", "x"), Action("quit")):
        assert expected_state(custom, unchanged) is custom
