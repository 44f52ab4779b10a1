"""Prompt programs per platform, and prompts that never block the caller."""

from __future__ import annotations

import logging
import sys
import threading
import time

import pytest

from tray_app.ui import dialog
from tray_app.ui.dialog import ExternalDialogs, GtkDialogs, command_for, dialogs_for, run_prompt


def test_zenity_first_then_kdialog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(dialog.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert command_for("T", "Name:", "old") == [
        "zenity", "--entry", "--title", "T", "--text", "Name:", "--entry-text", "old",
    ]  # fmt: skip
    monkeypatch.setattr(
        dialog.shutil, "which", lambda n: "/usr/bin/kdialog" if n == "kdialog" else None
    )
    assert command_for("T", "Name:", "old") == [
        "kdialog",
        "--title",
        "T",
        "--inputbox",
        "Name:",
        "old",
    ]
    monkeypatch.setattr(dialog.shutil, "which", lambda name: None)
    assert command_for("T", "Name:", "old") is None


def test_macos_passes_values_as_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    command = command_for('Say "hi"', "Name:", 'a" & do shell script "x')
    assert command is not None and command[0] == "osascript"
    assert command[-3:] == ['Say "hi"', "Name:", 'a" & do shell script "x']
    script = " ".join(command[1:-3])
    assert "do shell script" not in script and "item 3 of argv" in script


def test_run_prompt_reads_ok_and_cancel() -> None:
    assert run_prompt(["sh", "-c", "printf ' my name \\n'"]) == " my name "
    assert run_prompt(["sh", "-c", "exit 1"]) is None
    assert run_prompt(["/nonexistent/zenity"]) is None


def test_external_prompt_returns_at_once_and_answers_later(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(dialog, "command_for", lambda *a: ["sh", "-c", "sleep 0.3; echo typed"])
    answers: list[tuple[str | None, str]] = []
    finished = threading.Event()

    def done(text: str | None) -> None:
        answers.append((text, threading.current_thread().name))
        finished.set()

    prompts = ExternalDialogs()
    started = time.monotonic()
    prompts.ask("T", "p", "", done)
    prompts.ask("T", "p", "", done)  # ignored: one prompt at a time
    assert time.monotonic() - started < 0.2
    assert finished.wait(5)
    time.sleep(0.1)
    assert answers == [("typed", "tray-dialog")]


def test_no_prompt_program_cancels(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(dialog, "command_for", lambda *a: None)
    got: list[str | None] = ["unset"]
    finished = threading.Event()

    def done(text: str | None) -> None:
        got[0] = text
        finished.set()

    with caplog.at_level(logging.WARNING):
        ExternalDialogs().ask("T", "p", "", done)
        assert finished.wait(5)
    assert got == [None]
    assert "install zenity" in caplog.text


def test_gtk_dialogs_only_for_gtk_backends() -> None:
    assert isinstance(dialogs_for("appindicator").__self__, GtkDialogs)  # type: ignore[attr-defined]
    assert isinstance(dialogs_for("gtk").__self__, GtkDialogs)  # type: ignore[attr-defined]
    assert isinstance(dialogs_for("xorg").__self__, ExternalDialogs)  # type: ignore[attr-defined]
