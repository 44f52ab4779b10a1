"""The real `token-monitor tray` on a real X display, tray host, D-Bus and dunst.

Alerts reach the notification daemon as real `Notify` calls (seen by dbus-monitor), fire
once per block and threshold, and a restart does not fire them again; renaming the tracked
session through the menu's dialog stores the name in the ledger.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.builders import assistant, write_jsonl
from tests.ui.desktop import Desktop, Window

pytestmark = pytest.mark.display
SESSION = "e2e00000-0000-4000-8000-000000000001"


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def line(msg: str, tokens: int, ts: float) -> dict[str, object]:
    """A response of `tokens` input tokens at epoch `ts`."""
    out = assistant(msg, 1, input_tokens=tokens - 1, session=SESSION, cwd="/home/u/e2e")
    out["timestamp"] = _iso(ts)
    return out


class App:
    """`python -m tray_app tray` in the private desktop, with its own ledger and config."""

    def __init__(self, desktop: Desktop, tmp: Path, data: Path) -> None:
        self.desktop, self.tmp, self.data = desktop, tmp, data
        self.env = {
            **desktop.env,
            "HOME": str(tmp / "home"),
            "XDG_CONFIG_HOME": str(tmp / "home" / ".config"),
            "XDG_STATE_HOME": str(tmp / "state"),
            "XDG_DATA_HOME": str(tmp / "data"),
            "TOKEN_MONITOR_DB": str(tmp / "ledger.db"),
            "TOKEN_MONITOR_CONFIG": str(tmp / "config.yaml"),
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tray_app", "tray", "--data-dir", str(self.data)],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip

    def icon(self) -> Window:
        tray = self.desktop.tray

        def docked(w: Window) -> bool:
            inside = tray.x <= w.x < tray.x + tray.width and tray.y <= w.y < tray.y + tray.height
            return inside and w.id != tray.id and w.wm_class != "" and w.width > 8

        window = self.desktop.wait_window(docked, timeout=15)
        assert window is not None, "the icon never docked"
        return window

    def stop(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        assert code == 0, self.proc.stderr.read().decode() if self.proc.stderr else code

    def cli(self, *args: str) -> dict[str, object]:
        done = subprocess.run(
            [sys.executable, "-m", "tray_app", *args, "--json", "--data-dir", str(self.data)],
            env=self.env, capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        result: dict[str, object] = json.loads(done.stdout)
        return result


class Monitor:
    """dbus-monitor on the private session bus, collecting Notify calls."""

    def __init__(self, desktop: Desktop, log: Path) -> None:
        self.log = log
        rule = "interface='org.freedesktop.Notifications',member='Notify'"
        with open(log, "wb") as out:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                ["dbus-monitor", "--session", rule],
                env=desktop.env, stdout=out, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        time.sleep(0.5)

    def summaries(self) -> list[str]:
        text = self.log.read_text(errors="replace")
        calls = text.split("member=Notify")[1:]
        out = []
        for call in calls:
            strings = [ln.strip()[len('string "') : -1] for ln in call.splitlines()
                       if ln.strip().startswith('string "')]  # fmt: skip
            # Notify(app_name, replaces_id, app_icon, summary, body, …): strings 0, 1, 2, 3.
            out.append(f"{strings[2]} | {strings[3]}" if len(strings) >= 4 else call)
        return out

    def wait(self, count: int, timeout: float = 20) -> list[str]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if len(found := self.summaries()) >= count:
                return found
            time.sleep(0.1)
        return self.summaries()

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(5)


@pytest.fixture
def app(desktop: Desktop, tmp_path: Path) -> Iterator[App]:
    now = time.time()
    data = tmp_path / "claude"
    f = data / "projects" / "-home-u-e2e" / f"{SESSION}.jsonl"
    # A finished block 10 h ago (1,000 tokens: the "max" limit), and an active one at 85 %.
    write_jsonl(f, [line("msg_old", 1000, now - 10 * 3600), line("msg_a", 500, now - 600),
                    line("msg_b", 350, now - 300)])  # fmt: skip
    running = App(desktop, tmp_path, data)
    yield running
    if running.proc is not None and running.proc.poll() is None:
        running.proc.kill()
        running.proc.wait(5)


def test_alerts_fire_once_and_not_again_after_restart(app: App, tmp_path: Path) -> None:
    monitor = Monitor(app.desktop, tmp_path / "monitor.log")
    try:
        app.start()
        app.icon()
        first = monitor.wait(1)
        assert len(first) == 1, first
        assert "at 85% of your 5-hour limit" in first[0]  # one alert: the highest threshold
        assert "850 of 1k tokens" in first[0] and "max of past blocks" in first[0]
        # More usage crosses 95 %: exactly one more alert, live.
        f = next((app.data / "projects").rglob("*.jsonl"))
        write_jsonl(f, [line("msg_c", 120, time.time())], mode="a")
        second = monitor.wait(2)
        assert len(second) == 2 and "at 97% of your 5-hour limit" in second[1], second
        app.stop()
        app.start()  # a restart must not repeat them
        app.icon()
        time.sleep(3)
        assert len(monitor.summaries()) == 2, monitor.summaries()
    finally:
        monitor.close()
        if app.proc is not None and app.proc.poll() is None:
            app.stop()


def test_rename_through_the_menu_dialog_is_stored(app: App) -> None:
    app.start()
    desk = app.desktop
    icon = app.icon()
    time.sleep(1.0)  # first snapshot and menu built
    x, y = icon.center
    desk.click(x, y, button=3)
    time.sleep(0.8)  # the menu maps and grabs the keyboard
    desk.key("Down", "Down", "Return")  # "Rename tracked session…"
    dialog = desk.wait_window(lambda w: w.name == "Rename tracked session", timeout=10)
    assert dialog is not None, "the rename dialog did not open"
    desk.type(dialog, "Big refactor")
    desk.key("Return")
    end = time.monotonic() + 10
    names: list[object] = []
    while time.monotonic() < end:
        got = app.cli("sessions")
        names = [s["name"] for s in got["sessions"]]  # type: ignore[index, union-attr]
        if names == ["Big refactor"]:
            break
        time.sleep(0.2)
    assert names == ["Big refactor"]
    app.stop()
    assert os.stat(app.env["TOKEN_MONITOR_DB"]).st_mode & 0o777 == 0o600


def test_a_second_start_says_so_and_exits_cleanly(app: App) -> None:
    app.start()
    app.icon()
    second = subprocess.run(
        [sys.executable, "-m", "tray_app"], env=app.env, capture_output=True, text=True, timeout=30
    )
    assert second.returncode == 0
    assert "already running" in second.stderr
    assert app.proc is not None and app.proc.poll() is None  # the first one is untouched
    app.stop()
