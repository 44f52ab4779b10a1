"""The model submenu: its rows, what a click shows at once, and the controller's real write."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.ui.fakes import RecordingController
from tray_app.adapters import model_history
from tray_app.adapters.config import Settings, load_settings
from tray_app.ui.controller import AppController
from tray_app.ui.menu import Action, UiState, build_menu, expected_state, find
from tray_app.ui.menu_actions import MenuActions
from tray_app.ui.model_menu import ModelMenuState, menu_state, radio_rows

PROFILES = (("best", "opus"), ("balanced", "sonnet"), ("cheap", "haiku"), ("long", "opus[1m]"))
STATE = UiState("max", None, True, False)


def checked(state: ModelMenuState) -> list[str]:
    return [r.text for r in radio_rows(state) if r.checked]


@pytest.mark.parametrize(
    ("value", "row"),
    [
        (None, "Claude Code's default"),
        ("sonnet", "sonnet"),  # the alias row, not also "Profile balanced"
        ("opus[1m]", "opus[1m]"),
        ("claude-haiku-4-5", "Other: claude-haiku-4-5"),
    ],
)
def test_exactly_one_row_is_checked(value: str | None, row: str) -> None:
    assert checked(ModelMenuState(value, PROFILES)) == [row]


def test_a_profile_with_a_full_id_is_checked_by_its_profile_row() -> None:
    state = ModelMenuState("claude-opus-4-5", (*PROFILES, ("pinned", "claude-opus-4-5")))
    assert checked(state) == ["Profile pinned (claude-opus-4-5)"]


def test_a_control_sequence_in_a_value_never_reaches_the_menu() -> None:
    rows = radio_rows(ModelMenuState("x\x1b]0;evil\x07y", PROFILES))
    assert all("\x1b" not in r.text and "\x07" not in r.text for r in rows)


def test_the_submenu_sits_in_the_menu_with_its_toggle() -> None:
    model = ModelMenuState("haiku", PROFILES, auto_switch=True, note="ANTHROPIC_MODEL sets opus")
    sub = find(build_menu(None, replace(STATE, model=model), 0.0, None), "Model for new sessions")
    texts = [e.text for e in sub.children]
    assert texts[:3] == ["ANTHROPIC_MODEL sets opus", "", "Claude Code's default"]
    assert texts[-1] == "Auto-switch near limits" and sub.children[-1].checked
    assert sub.children[-1].action == Action("auto_switch", "off")
    assert find(sub.children, "Profile long").action == Action("model", "long")


def test_a_click_shows_the_new_choice_before_the_app_confirms() -> None:
    state = replace(STATE, model=ModelMenuState("opus", PROFILES))
    assert expected_state(state, Action("model", "cheap")).model.value == "haiku"
    assert expected_state(state, Action("model", "default")).model.value is None
    assert expected_state(state, Action("model", "opusplan")).model.value == "opusplan"
    assert expected_state(state, Action("auto_switch", "on")).model.auto_switch is True


def test_clicks_reach_the_controller() -> None:
    ctl = RecordingController()
    actions = MenuActions(ctl, lambda *a: None, lambda job: job())
    actions.invoke(Action("model", "balanced"))
    actions.invoke(Action("auto_switch", "on"))
    assert ctl.calls == [("set_model", "balanced"), ("set_auto_switch", True)]


def test_menu_state_reads_the_user_file_and_names_an_override(tmp_path: Path) -> None:
    claude = tmp_path / "claude"
    claude.mkdir()
    (claude / "settings.json").write_text('{"model": "haiku"}')
    env = {"CLAUDE_CONFIG_DIR": str(claude)}
    state = menu_state(env, {"long": "opus[1m]"}, False)
    assert state.value == "haiku" and state.note == "" and ("long", "opus[1m]") in state.profiles
    state = menu_state({**env, "ANTHROPIC_MODEL": "opus"}, {}, False)
    assert state.note == "ANTHROPIC_MODEL sets opus: it overrides this"
    (claude / "settings.json").write_text("{bad")
    assert menu_state(env, {}, False).note.startswith("settings.json unreadable")


class NoService:
    def submit(self, command: Any) -> None:
        raise AssertionError("the model never goes through the aggregator")


def test_the_controller_writes_settings_json_and_the_history(tmp_path: Path) -> None:
    claude = tmp_path / "claude"
    claude.mkdir()
    (claude / "settings.json").write_text('{"theme": "dark"}')
    env = {
        "CLAUDE_CONFIG_DIR": str(claude),
        "TOKEN_MONITOR_CONFIG": str(tmp_path / "config.yaml"),
        "TOKEN_MONITOR_DB": str(tmp_path / "ledger.sqlite3"),
    }
    states: list[UiState] = []
    ctl = AppController(NoService(), Settings(), tmp_path, env, on_state=states.append)  # type: ignore[arg-type]
    ctl.set_model("cheap")
    assert json.loads((claude / "settings.json").read_text()) == {"theme": "dark", "model": "haiku"}
    assert states[-1].model.value == "haiku"
    [change] = model_history.recent(tmp_path / "ledger.sqlite3")
    assert (change.kind, change.new, change.source) == ("manual", "haiku", "tray")
    ctl.set_model("sonet")  # refused: nothing changes, the menu shows the file as it is
    assert states[-1].model.value == "haiku"
    ctl.set_auto_switch(True)
    assert states[-1].model.auto_switch is True
    assert load_settings(tmp_path / "config.yaml", {})[0].auto_switch is True


def test_a_close_limit_suggests_balanced_in_the_submenu() -> None:
    from tray_app.service.snapshot import Snapshot
    from tray_app.usage.limits import Limit
    from tray_app.usage.model import Totals

    weekly = Limit(None, "official", window="seven_day", percent_now=86.0, resets_at=10_000.0)
    snap = Snapshot(0.0, "active", Totals(), None, None, True, (), limits=(weekly,))
    on_opus = replace(STATE, model=ModelMenuState("opus", PROFILES))
    sub = find(build_menu(snap, on_opus, 0.0, None), "Model for new sessions")
    assert sub.children[0].text == "Suggested: balanced (sonnet): the weekly limit is at 86 %"
    on_sonnet = replace(STATE, model=ModelMenuState("sonnet", PROFILES))
    sub = find(build_menu(snap, on_sonnet, 0.0, None), "Model for new sessions")
    assert sub.children[0].text == "Claude Code's default"  # already there: no hint
    guessed = Limit(100, "max", window="five_hour", percent_now=99.0, resets_at=10_000.0)
    calm = replace(snap, limits=(guessed,))
    sub = find(build_menu(calm, on_opus, 0.0, None), "Model for new sessions")
    assert sub.children[0].text == "Claude Code's default"  # a guessed limit: no hint
