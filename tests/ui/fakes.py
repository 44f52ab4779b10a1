"""Test doubles for the tray: a recording controller and a scripted dialog."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any


def dummy_pystray() -> ModuleType:
    """pystray with its display-free dummy backend, leaving the environment as it was.

    The backend is chosen once, at import; restoring PYSTRAY_BACKEND afterwards keeps it
    out of subprocesses that other tests start.
    """
    previous = os.environ.get("PYSTRAY_BACKEND")
    os.environ["PYSTRAY_BACKEND"] = "dummy"
    try:
        import pystray
    finally:
        if previous is None:
            del os.environ["PYSTRAY_BACKEND"]
        else:
            os.environ["PYSTRAY_BACKEND"] = previous
    module: ModuleType = pystray
    return module


class RecordingController:
    """A TrayController that records each call (and optionally appends it as JSON lines)."""

    def __init__(self, path: Path | None = None) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.threads: list[str] = []
        self._path = path
        self._lock = threading.Lock()

    def _record(self, *call: Any) -> None:
        with self._lock:
            self.calls.append(call)
            self.threads.append(threading.current_thread().name)
            if self._path is not None:
                with self._path.open("a", encoding="utf-8") as f:
                    f.write(json.dumps(list(call)) + "\n")

    def track_session(self, session_id: str | None) -> None:
        self._record("track_session", session_id)

    def rename_session(self, session_id: str, name: str) -> None:
        self._record("rename_session", session_id, name)

    def set_limit(self, mode: str, tokens: int | None) -> None:
        self._record("set_limit", mode, tokens)

    def set_notifications(self, enabled: bool) -> None:
        self._record("set_notifications", enabled)

    def set_autostart(self, enabled: bool) -> None:
        self._record("set_autostart", enabled)

    def set_model(self, name: str) -> None:
        self._record("set_model", name)

    def set_auto_switch(self, enabled: bool) -> None:
        self._record("set_auto_switch", enabled)

    def open_data_folder(self) -> None:
        self._record("open_data_folder")

    def open_dashboard(self) -> None:
        self._record("open_dashboard")

    def set_budget(self, period: str, usd: float | None) -> None:
        self._record("set_budget", period, usd)

    def quit(self) -> None:
        self._record("quit")


class ScriptedDialog:
    """An `ask_text` that answers from a list (None = Cancel) and remembers the questions."""

    def __init__(self, *answers: str | None) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, str, str]] = []

    def __call__(
        self, title: str, prompt: str, prefill: str, done: Callable[[str | None], None]
    ) -> None:
        self.asked.append((title, prompt, prefill))
        done(self.answers.pop(0))
