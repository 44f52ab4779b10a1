"""Auto-switch in the real tray app: a real status-line capture, settings.json, D-Bus.

Claude Code's status line reports the weekly Opus window at 85 %; with `auto_switch: true`
the running app moves new sessions from `opus` to `balanced` (sonnet) in the user's
settings.json, keeps the file's other keys, says so in one desktop notification and
records it in `model history`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.app.test_tray_app_e2e import SESSION, App, Monitor, line
from tests.builders import write_jsonl
from tests.ui.desktop import Desktop

pytestmark = pytest.mark.display


@pytest.fixture
def app(desktop: Desktop, tmp_path: Path) -> Iterator[App]:
    now = time.time()
    data = tmp_path / "claude"
    write_jsonl(data / "projects" / "-home-u-e2e" / f"{SESSION}.jsonl",
                [line("msg_a", 5000, now - 600), line("msg_b", 5000, now - 300)])  # fmt: skip
    running = App(desktop, tmp_path, data)
    settings = tmp_path / "home" / ".claude" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text('{\n  "theme": "dark",\n  "model": "opus"\n}\n')
    (tmp_path / "config.yaml").write_text("auto_switch: true\n")
    yield running
    if running.proc is not None and running.proc.poll() is None:
        running.proc.kill()
        running.proc.wait(5)


def weekly_opus_capture(app: App, percent: float) -> None:
    """The status line run as Claude Code runs it, with a weekly Opus window."""
    now = time.time()
    stdin = {"session_id": SESSION, "model": {"id": "claude-opus-4-5"},
             "rate_limits": {"five_hour": {"used_percentage": 20, "resets_at": now + 3600},
                             "seven_day_opus": {"used_percentage": percent,
                                                "resets_at": now + 2 * 86400}}}  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "tray_app", "statusline"],
                          input=json.dumps(stdin).encode(), env=app.env, capture_output=True,
                          timeout=30)  # fmt: skip
    assert done.returncode == 0


def test_a_close_weekly_opus_limit_switches_new_sessions(app: App, tmp_path: Path) -> None:
    weekly_opus_capture(app, 85.0)
    settings = tmp_path / "home" / ".claude" / "settings.json"
    monitor = Monitor(app.desktop, tmp_path / "monitor.log")
    try:
        app.start()
        app.icon()
        end = time.monotonic() + 20
        while time.monotonic() < end and json.loads(settings.read_text())["model"] != "sonnet":
            time.sleep(0.2)
        assert json.loads(settings.read_text()) == {"theme": "dark", "model": "sonnet"}
        found = [s for s in monitor.wait(1) if "New Claude Code sessions" in s]
        assert len(found) == 1 and "the weekly Opus limit is at 85 %" in found[0], found
        history = app.cli("model", "history")["history"]
        assert [(h["kind"], h["from"], h["to"]) for h in history] == [  # type: ignore[attr-defined]
            ("auto", "opus", "sonnet")
        ]
    finally:
        monitor.close()
        if app.proc is not None and app.proc.poll() is None:
            app.stop()
