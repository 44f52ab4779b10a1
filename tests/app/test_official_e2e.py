"""The real tray with Claude Code's official figures, captured by the real status line.

`token-monitor statusline` receives a recorded status-line input (5-hour 40 %, weekly 85 %);
the running app shows the official 5-hour figure with its age, its icon follows the fuller
weekly window, and the weekly alert reaches D-Bus once — not again after a restart.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.app.test_tray_app_e2e import App, Monitor, line
from tests.builders import write_jsonl
from tests.ui.desktop import Desktop

pytestmark = pytest.mark.display
SESSION = "e2e00000-0000-4000-8000-000000000001"
AMBER = (255, 160, 0)


def capture(app: App, five: float, week: float) -> str:
    """Run the status line exactly as Claude Code does; returns what it printed."""
    now = time.time()
    stdin = {"session_id": SESSION, "model": {"id": "claude-opus-4-5", "display_name": "Opus"},
             "cost": {"total_cost_usd": 0.42},
             "rate_limits": {"five_hour": {"used_percentage": five, "resets_at": now + 3 * 3600},
                             "seven_day": {"used_percentage": week,
                                           "resets_at": now + 2 * 86400}}}  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "tray_app", "statusline"],
                          input=json.dumps(stdin).encode(), env=app.env, capture_output=True,
                          timeout=30)  # fmt: skip
    assert done.returncode == 0
    return done.stdout.decode()


def amber_share(app: App) -> float:
    icon = app.icon()
    shot = app.desktop.screenshot().crop(icon.box).convert("RGB")
    pixels = [shot.getpixel((x, y)) for x in range(shot.width) for y in range(shot.height)]
    near = [p for p in pixels if all(abs(a - b) < 30 for a, b in zip(p, AMBER, strict=True))]  # type: ignore[arg-type]
    return len(near) / len(pixels)


@pytest.fixture
def app(desktop: Desktop, tmp_path: Path) -> Iterator[App]:
    now = time.time()
    data = tmp_path / "claude"
    f = data / "projects" / "-home-u-e2e" / f"{SESSION}.jsonl"
    # A big finished block 10 h ago (the "max" limit): the active block is only 10 % of it.
    write_jsonl(f, [line("msg_old", 100_000, now - 10 * 3600), line("msg_a", 5000, now - 600),
                    line("msg_b", 5000, now - 300)])  # fmt: skip
    running = App(desktop, tmp_path, data)
    yield running
    if running.proc is not None and running.proc.poll() is None:
        running.proc.kill()
        running.proc.wait(5)


def test_official_figures_in_the_tray_and_one_weekly_alert(app: App, tmp_path: Path) -> None:
    assert capture(app, 40.0, 85.0).startswith("5h 40% · wk 85% · resets in 2 h 59 min")
    monitor = Monitor(app.desktop, tmp_path / "monitor.log")
    try:
        app.start()
        app.icon()
        end = time.monotonic() + 40  # a loaded CI machine starts the tray slowly
        while time.monotonic() < end and "official" not in app.icon().name:
            time.sleep(0.2)
        name = app.icon().name
        assert name.startswith("Block: 10k tok · 40% of 5-hour (official · "), name
        assert amber_share(app) > 0.03  # 85 % weekly (amber), not the block's 10 % (green)
        alerts = monitor.wait(1)
        assert len(alerts) == 1 and "Claude usage at 80% of your weekly limit" in alerts[0]
        got = app.cli("status")
        assert got["limits"]["seven_day"]["source"] == "official"  # type: ignore[index]
        app.stop()
        app.start()  # remembered across the restart: no second weekly alert
        app.icon()
        time.sleep(3)
        assert len(monitor.summaries()) == 1, monitor.summaries()
    finally:
        monitor.close()
        if app.proc is not None and app.proc.poll() is None:
            app.stop()
