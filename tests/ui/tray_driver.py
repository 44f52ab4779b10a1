"""A real tray process for display tests: `python -m tests.ui.tray_driver CALLS_FILE`.

It owns its main thread (as pystray requires), records controller calls as JSON lines in
CALLS_FILE, and reads commands as JSON lines on stdin from a helper thread, which also
exercises `publish()` from a non-main thread:
  {"pct": 85}                     publish an active snapshot at 85 %
  {"status": "idle"}              publish an idle / no_data / error snapshot
  {"state": {"notifications": false}}   set_state with these fields changed
  {"quit": true}                  stop the tray
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from dataclasses import replace
from datetime import UTC
from pathlib import Path
from typing import Any

from tests.ui.factories import NOW, idle, snapshot
from tests.ui.fakes import RecordingController
from tray_app.ui.menu import UiState
from tray_app.ui.tray import TrayApp

log = logging.getLogger("tray_driver")


class Controller(RecordingController):
    """Records calls; `quit` also stops the tray."""

    app: TrayApp | None = None

    def quit(self) -> None:
        super().quit()
        if self.app is not None:
            self.app.stop()


def handle(app: TrayApp, command: dict[str, Any]) -> bool:
    """Apply one stdin command; False to stop reading."""
    if command.get("quit"):
        app.stop()
        return False
    if "pct" in command:
        app.publish(snapshot(float(command["pct"])))
    elif command.get("status") == "idle":
        app.publish(idle())
    elif "status" in command:
        app.publish(snapshot(status=command["status"], error=command.get("error")))
    if "state" in command:
        app.set_state(replace(app.state, **command["state"]))
    return True


def read_commands(app: TrayApp) -> None:
    """Feed stdin commands to the tray until EOF or quit."""
    for line in sys.stdin:
        if line.strip():
            try:
                if not handle(app, json.loads(line)):
                    return
            except Exception:
                log.exception("bad command %r", line)
            print("ok", flush=True)
    app.stop()


def main() -> int:
    """Build the tray, report the backend on stdout, run until told to quit."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    controller = Controller(Path(sys.argv[1]))
    state = UiState(limit_mode="p90", limit_tokens=None, notifications=True, autostart=False)
    app = TrayApp(controller, state, tz=UTC, clock=lambda: NOW)
    controller.app = app
    print(json.dumps({"backend": app.backend_name, "menu": app.menu_available}), flush=True)
    threading.Thread(target=read_commands, args=(app,), daemon=True).start()
    app.run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
