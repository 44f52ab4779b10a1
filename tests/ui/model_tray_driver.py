"""The test tray with a real model submenu: `python -m tests.ui.model_tray_driver CALLS_FILE`.

Like `tests.ui.tray_driver`, but "Model for new sessions" and "Auto-switch" clicks really
write Claude Code's settings.json (under CLAUDE_CONFIG_DIR) and config.yaml
(TOKEN_MONITOR_CONFIG) before the call is recorded, and the menu is rebuilt from the files.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC
from pathlib import Path

from tests.ui.factories import NOW
from tests.ui.tray_driver import Controller, read_commands
from tray_app.adapters.config import load_settings, update_settings
from tray_app.adapters.locations import db_file
from tray_app.ui.menu import UiState
from tray_app.ui.model_menu import choose, menu_state
from tray_app.ui.tray import TrayApp


class ModelController(Controller):
    """Does the real model work, then records the call (so a test may read the files)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.env = dict(os.environ)

    def set_model(self, name: str) -> None:
        settings, _ = load_settings(env=self.env)
        ledger = db_file(self.env, settings.db_path)
        choose(name, self.env, settings.model_profiles, {}, ledger, time.time())
        self.refresh()
        super().set_model(name)

    def set_auto_switch(self, enabled: bool) -> None:
        update_settings(None, env=self.env, auto_switch=enabled)
        self.refresh()
        super().set_auto_switch(enabled)

    def state(self, base: UiState) -> UiState:
        """`base` with the model submenu as the files now say."""
        settings, _ = load_settings(env=self.env)
        model = menu_state(self.env, settings.model_profiles, settings.auto_switch)
        return replace(base, model=model)

    def refresh(self) -> None:
        if self.app is not None:
            self.app.set_state(self.state(self.app.state))


def main() -> int:
    """Build the tray, report the backend on stdout, run until told to quit."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    controller = ModelController(Path(sys.argv[1]))
    base = UiState(limit_mode="p90", limit_tokens=None, notifications=True, autostart=False)
    app = TrayApp(controller, controller.state(base), tz=UTC, clock=lambda: NOW)
    controller.app = app
    print(json.dumps({"backend": app.backend_name, "menu": app.menu_available}), flush=True)
    threading.Thread(target=read_commands, args=(app,), daemon=True).start()
    app.run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
