"""Run `status` through the launcher with a stub command, seeing what each phase saw."""

from __future__ import annotations

import gc
from collections.abc import Callable

import pytest

from tray_app import launcher
from tray_app.cli import main as cli_main
from tray_app.cli.environment import Environment, ExitStatus


def run_stub_status(
    monkeypatch: pytest.MonkeyPatch, loading: Callable[[], object], running: Callable[[], object]
) -> tuple[object, object]:
    """What `loading()` returned while the command's module loaded, and `running()` while
    the command ran (the launcher's exit status must be 0)."""
    seen: list[object] = []

    def load(target: object) -> object:
        seen.append(loading())

        def command(args: object, env: Environment) -> ExitStatus:
            seen.append(running())
            return ExitStatus.OK

        return command

    monkeypatch.setattr(cli_main, "_load", load)
    try:
        assert launcher.main(["status"]) == 0
    finally:
        gc.unfreeze()  # (the launcher froze this test process's objects)
    return seen[0], seen[1]
