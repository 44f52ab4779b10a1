"""The real tray: "Open dashboard" serves the page from the tray process; quitting stops it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.app.test_tray_app_e2e import App, app  # noqa: F401 (the app fixture)

pytestmark = pytest.mark.display


def test_open_dashboard_from_the_menu(app: App, tmp_path: Path) -> None:  # noqa: F811
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"  # webbrowser.open runs $BROWSER with the URL
    browser.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> {opened}\n')
    browser.chmod(0o700)
    app.env["BROWSER"] = f"{browser} %s"
    app.start()
    desk = app.desktop
    icon = app.icon()
    time.sleep(1.0)  # first snapshot and menu built
    x, y = icon.center
    desk.click(x, y, button=3)
    time.sleep(0.8)
    # Enabled rows: Tracked session, Rename…, Limit, Model…, Budgets, Notifications,
    # Launch at login, Open dashboard.
    desk.key(*["Down"] * 8, "Return")
    end = time.monotonic() + 15
    while time.monotonic() < end and not (opened.exists() and opened.read_text().strip()):
        time.sleep(0.2)
    url = opened.read_text().strip()
    assert url.startswith("http://127.0.0.1:") and url.endswith("/"), url
    with urllib.request.urlopen(url + "api/history", timeout=10) as answer:
        history = json.loads(answer.read())
    status = app.cli("status")
    assert history["totals"]["total_tokens"] == status["totals"]["total_tokens"]  # type: ignore[index]
    assert history["totals"]["total_tokens"] == 1850
    app.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + "api/state", timeout=3)
    assert os.stat(app.env["TOKEN_MONITOR_DB"]).st_mode & 0o777 == 0o600


def test_the_command_uses_the_running_trays_page(app: App) -> None:  # noqa: F811
    app.start()
    app.icon()
    command = subprocess.Popen([sys.executable, "-m", "tray_app", "dashboard", "--no-browser"],
                               env=app.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)  # fmt: skip
    try:
        assert command.stdout is not None
        url = command.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/"), command.stderr
        with urllib.request.urlopen(url + "api/history", timeout=10) as answer:
            assert json.loads(answer.read())["totals"]["total_tokens"] == 1850
        assert command.poll() is None  # it waits while the tray serves
        app.stop()  # the page goes with the tray, not with the command
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(url + "api/state", timeout=3)
    finally:
        command.send_signal(signal.SIGTERM)
        assert command.wait(10) == 0
