"""The tray's controller: menu actions become service commands and saved settings."""

from __future__ import annotations

import logging
import os
import queue
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from tray_app.adapters import autostart
from tray_app.adapters.config import Settings, update_settings
from tray_app.adapters.locations import db_file
from tray_app.service.aggregator import UsageService
from tray_app.ui import model_menu
from tray_app.ui.menu import UiState

log = logging.getLogger(__name__)
# The aggregator answers a rename between two updates; during a first scan of a large
# history it may be busy longer, and the rename then happens later without an answer.
RENAME_WAIT = 10.0


def open_folder(path: Path) -> None:
    """Open a folder in the platform's file manager (never blocks the caller)."""
    path.mkdir(parents=True, exist_ok=True)
    if sys.platform == "win32":
        os.startfile(path)  # type: ignore[attr-defined]
        return
    opener = "open" if sys.platform == "darwin" else "xdg-open"
    try:
        subprocess.Popen([opener, str(path)], start_new_session=True)
    except OSError as exc:
        log.warning("cannot open %s with %s: %s", path, opener, exc)


class AppController:
    """Implements `TrayController`; runs on the menu's worker thread."""

    def __init__(
        self,
        service: UsageService,
        settings: Settings,
        data_folder: Path,
        env: Mapping[str, str] = os.environ,
        on_state: Callable[[UiState], None] | None = None,
        on_quit: Callable[[], None] | None = None,
        on_dashboard: Callable[[], object] | None = None,
    ) -> None:
        self.service = service
        self.settings = settings
        self.data_folder = data_folder
        self.env = env
        self.on_state = on_state or (lambda _state: None)
        self.on_quit = on_quit or (lambda: None)
        self.on_dashboard = on_dashboard or (lambda: None)

    def ui_state(self) -> UiState:
        """What the menu shows for the current settings."""
        s = self.settings
        try:
            enabled = autostart.status().enabled
        except Exception:
            log.exception("cannot read the launch-at-login state")
            enabled = False
        model = model_menu.menu_state(self.env, s.model_profiles, s.auto_switch)
        budgets = tuple(sorted(s.budgets.items()))
        return UiState(
            s.limit_mode, s.limit_tokens, s.notifications, enabled, s.thresholds, model, budgets
        )

    def _save(self, **changes: object) -> None:
        self.settings = replace(self.settings, **changes)  # type: ignore[arg-type]
        try:
            update_settings(None, env=self.env, **changes)
        except OSError as exc:
            log.error("cannot save settings: %s", exc)
        self.on_state(self.ui_state())

    def track_session(self, session_id: str | None) -> None:
        """Follow one session, or the latest active one (None)."""
        self.service.submit(lambda s: s.set_view(tracked_session=session_id))
        self._save(tracked_session=session_id)

    def rename_session(self, session_id: str, name: str) -> str | None:
        """Store the session's name in the ledger ("" clears it); why it was refused, or None."""
        answer: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self.service.submit(lambda s: answer.put(s.rename(session_id, name)))
        try:
            return answer.get(timeout=RENAME_WAIT)
        except queue.Empty:
            log.info("the rename of %s is queued behind a long scan", session_id[:8])
            return None

    def set_limit(self, mode: str, tokens: int | None) -> None:
        """Limit source: max of past blocks, p90, or a custom number."""
        if mode == "custom" and not tokens:
            tokens = self.settings.limit_tokens
        self.service.submit(lambda s: s.set_view(limit_mode=mode, limit_tokens=tokens))
        self._save(limit_mode=mode, limit_tokens=tokens)

    def set_budget(self, period: str, usd: float | None) -> None:
        """Set (or with None remove) the daily, weekly or monthly cost budget."""
        budgets = {p: v for p, v in self.settings.budgets.items() if p != period}
        if usd is not None:
            budgets[period] = usd
        self._save(budgets=budgets)  # the budget check and the dashboard read the settings

    def set_notifications(self, enabled: bool) -> None:
        """Turn limit alerts on or off."""
        self._save(notifications=enabled)

    def set_autostart(self, enabled: bool) -> None:
        """Add or remove the launch-at-login entry (only when the user asks)."""
        try:
            if enabled:
                autostart.enable()
            else:
                autostart.disable()
        except Exception:
            log.exception("cannot change launch at login")
        self.on_state(self.ui_state())

    def set_model(self, name: str) -> None:
        """Write the model for new sessions into the user settings.json (one key)."""
        s = self.settings
        ledger = db_file(self.env, s.db_path)
        model_menu.choose(name, self.env, s.model_profiles, s.prices, ledger, time.time())
        self.on_state(self.ui_state())  # the file as it now is (also after a refusal)

    def set_auto_switch(self, enabled: bool) -> None:
        """Turn auto-switch near limits on or off."""
        self._save(auto_switch=enabled)

    def open_data_folder(self) -> None:
        """Show the folder with the ledger."""
        open_folder(self.data_folder)

    def open_dashboard(self) -> None:
        """Serve the live web page from this process (first time) and open it."""
        try:
            self.on_dashboard()
        except Exception:
            log.exception("cannot start the dashboard")

    def quit(self) -> None:
        """Leave the app."""
        self.on_quit()
