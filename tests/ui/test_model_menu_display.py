"""The "Model for new sessions" submenu on a real X display: a click writes settings.json."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.ui.desktop import Desktop
from tests.ui.tray_process import TrayProcess

pytestmark = pytest.mark.display


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """A Claude Code config dir with a settings.json holding other keys, and our config."""
    claude = tmp_path / "claude"
    claude.mkdir()
    settings = claude / "settings.json"
    settings.write_text('{\n  "theme": "dark",\n  "model": "opus"\n}\n')
    settings.chmod(0o640)
    return {"claude": claude, "settings": settings, "config": tmp_path / "config.yaml",
            "db": tmp_path / "ledger.sqlite3"}  # fmt: skip


@pytest.fixture
def tray(desktop: Desktop, tmp_path: Path, files: dict[str, Path]) -> Iterator[TrayProcess]:
    env = {
        "CLAUDE_CONFIG_DIR": str(files["claude"]),
        "TOKEN_MONITOR_CONFIG": str(files["config"]),
        "TOKEN_MONITOR_DB": str(files["db"]),
    }
    proc = TrayProcess(desktop, tmp_path, module="tests.ui.model_tray_driver", extra_env=env)
    yield proc
    proc.close()


def open_model_menu(tray: TrayProcess) -> None:
    """Right-click, then keyboard down to "Model for new sessions" and open it."""
    x, y = tray.icon().center
    tray.desktop.click(x, y, button=3)
    tray.wait_popups(1)
    time.sleep(0.3)
    # Enabled rows: Tracked session, Rename…, Limit, Model for new sessions.
    tray.desktop.key("Down", "Down", "Down", "Down", "Right")
    tray.wait_popups(2)
    time.sleep(0.3)


def test_clicking_a_profile_writes_only_the_model_key(
    tray: TrayProcess, files: dict[str, Path]
) -> None:
    tray.send(pct=63)
    open_model_menu(tray)
    sub = tray.popups()[1]
    assert sub.height > 250  # default, six aliases, three profiles and the toggle
    # Rows from the top: default, opus, sonnet, haiku, opusplan, sonnet[1m], opus[1m],
    # Profile best, Profile balanced, …: the first row is selected on opening.
    tray.desktop.key(*["Down"] * 8, "Return")
    assert tray.wait_calls(1) == [["set_model", "balanced"]]
    settings = files["settings"]
    assert json.loads(settings.read_text()) == {"theme": "dark", "model": "sonnet"}
    assert settings.stat().st_mode & 0o777 == 0o640
    assert (files["claude"] / "settings.json.token-monitor.bak").exists()


def test_the_auto_switch_toggle_saves_the_config(tray: TrayProcess, files: dict[str, Path]) -> None:
    tray.send(pct=30)
    open_model_menu(tray)
    tray.desktop.key("End", "Return")  # the last row: "Auto-switch near limits"
    assert tray.wait_calls(1) == [["set_auto_switch", True]]
    assert yaml.safe_load(files["config"].read_text())["auto_switch"] is True
    assert json.loads(files["settings"].read_text())["model"] == "opus"  # untouched
