"""The Budgets submenu: rows, the dialog's answer, and the controller saving the budget."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest

from tests.ui.fakes import RecordingController, ScriptedDialog
from tests.ui.test_controller import env, make  # noqa: F401 (the env fixture)
from tray_app.adapters.config import load_settings
from tray_app.ui.budget_menu import budget_rows, parse_usd
from tray_app.ui.menu import Action, UiState, build_menu, find
from tray_app.ui.menu_actions import MenuActions

STATE = UiState("max", None, True, False, budgets=(("monthly", 150.0),))


def test_rows_show_each_budget_or_none() -> None:
    assert budget_rows({"monthly": 150.0, "daily": 12.5}) == [
        ("Daily: $12.50…", "daily", "12.5"),
        ("Weekly: none…", "weekly", ""),
        ("Monthly: $150…", "monthly", "150"),
    ]
    menu = build_menu(None, STATE, 0.0, UTC)
    rows = find(menu, "Budgets").children
    assert [r.text for r in rows] == ["Daily: none…", "Weekly: none…", "Monthly: $150…"]
    assert rows[2].action == Action("budget", "monthly", "150")


@pytest.mark.parametrize(
    ("text", "usd"),
    [
        ("25", 25.0),
        (" $1,200.50 ", 1200.5),
        ("12,50", 12.5),
        ("$7,5", 7.5),
        ("1,200", 1200.0),
        ("", None),
        ("0", None),
        ("off", None),
    ],
)
def test_typed_budgets(text: str, usd: float | None) -> None:
    assert parse_usd(text) == usd


@pytest.mark.parametrize("text", ["lots", "-5", "nan", "1e12", "1,2345", "12,50.3"])
def test_bad_budgets_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_usd(text)


def test_dialog_answers_reach_the_controller() -> None:
    controller = RecordingController()
    dialog = ScriptedDialog("40", None, "lots", "")
    actions = MenuActions(controller, dialog, lambda job: job())
    for _ in range(4):
        actions.invoke(Action("budget", "daily", "10"))
    assert controller.calls == [("set_budget", "daily", 40.0), ("set_budget", "daily", None)]
    assert dialog.asked[0] == ("Daily budget", "US dollars per day (empty for no budget):", "10")


def test_controller_saves_budgets_and_shows_them(env: dict[str, str]) -> None:  # noqa: F811
    states: list[UiState] = []
    ctl, _ = make(env, states)
    ctl.set_budget("monthly", 150.0)
    ctl.set_budget("daily", 10.0)
    ctl.set_budget("daily", None)
    saved, problems = load_settings(env=env)
    assert problems == [] and dict(saved.budgets) == {"monthly": 150.0}
    assert states[-1].budgets == (("monthly", 150.0),)
    assert "monthly: 150" in Path(env["TOKEN_MONITOR_CONFIG"]).read_text()
