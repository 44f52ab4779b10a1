"""The tray's controller: menu actions become service commands and saved settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tray_app.adapters.config import Settings, load_settings
from tray_app.ui.controller import AppController
from tray_app.ui.menu import UiState


class FakeService:
    """Records the commands and runs them against a recorder, as the aggregator would."""

    def __init__(self) -> None:
        self.views: list[dict[str, Any]] = []
        self.renames: list[tuple[str, str]] = []

    def submit(self, command: Any) -> None:
        command(self)

    def set_view(self, **changes: Any) -> None:
        self.views.append(changes)

    def rename(self, session_id: str, name: str) -> None:
        self.renames.append((session_id, name))


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    return {"TOKEN_MONITOR_CONFIG": str(tmp_path / "config.yaml")}


def make(env: dict[str, str], states: list[UiState]) -> tuple[AppController, FakeService]:
    service = FakeService()
    ctl = AppController(service, Settings(), Path("/tmp"), env, on_state=states.append)  # type: ignore[arg-type]
    return ctl, service


def test_limit_and_tracking_are_sent_and_saved(env: dict[str, str]) -> None:
    states: list[UiState] = []
    ctl, service = make(env, states)
    ctl.set_limit("custom", 2_000_000)
    ctl.track_session("abc")
    ctl.track_session(None)
    assert service.views == [
        {"limit_mode": "custom", "limit_tokens": 2_000_000},
        {"tracked_session": "abc"},
        {"tracked_session": None},
    ]
    saved, problems = load_settings(env=env)
    assert problems == []
    assert (saved.limit_mode, saved.limit_tokens, saved.tracked_session) == (
        "custom", 2_000_000, None,
    )  # fmt: skip
    assert states[-1].limit_mode == "custom" and states[-1].limit_tokens == 2_000_000


def test_notifications_rename_and_autostart(env: dict[str, str], tmp_path: Path) -> None:
    states: list[UiState] = []
    ctl, service = make(env, states)
    ctl.set_notifications(False)
    assert load_settings(env=env)[0].notifications is False and states[-1].notifications is False
    ctl.rename_session("abc", "Big refactor")
    assert service.renames == [("abc", "Big refactor")]
    entry = tmp_path / "home" / ".config" / "autostart" / "token-monitor.desktop"
    ctl.set_autostart(True)
    assert entry.is_file() and states[-1].autostart is True
    ctl.set_autostart(False)
    assert not entry.exists() and states[-1].autostart is False
