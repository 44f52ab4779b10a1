"""Small native text prompts that never block the menu; results go to a callback.

`ask(title, prompt, prefill, done)` returns at once; later `done(text)` is called with the
entered text, or `done(None)` on Cancel. With the GTK/AppIndicator backend the dialog is
a Gtk.Dialog built on the GTK main thread (GLib.idle_add) and answered through its
"response" signal; otherwise zenity/kdialog (Linux), osascript (macOS) or a tkinter
prompt (Windows) runs on a helper thread.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from importlib import resources
from typing import Any

from tray_app.ui.menu import AskText
from tray_app.usage.text_safety import NAME_MAX, clean

log = logging.getLogger(__name__)
Done = Callable[[str | None], None]
TITLE_MAX = 80
PROMPT_LINE_MAX = 200


def safe_texts(title: str, prompt: str, prefill: str) -> tuple[str, str, str]:
    """A dialog's texts with no control characters; the prompt keeps its line breaks."""
    lines = (clean(line, PROMPT_LINE_MAX) for line in prompt.split("\n"))
    return clean(title, TITLE_MAX), "\n".join(lines), clean(prefill, NAME_MAX)


def _markup_escaped(text: str) -> str:
    """zenity's --text is Pango markup: `<`, `>` and `&` must be literal."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class GtkDialogs:
    """Gtk.Dialog prompts; one per title at a time (a second click raises the first)."""

    def __init__(self) -> None:
        self._open: dict[str, Any] = {}

    def ask(self, title: str, prompt: str, prefill: str, done: Done) -> None:
        """Schedule the dialog on the GTK main loop; callable from any thread."""
        from gi.repository import GLib

        GLib.idle_add(self._build, *safe_texts(title, prompt, prefill), done)

    def _build(self, title: str, prompt: str, prefill: str, done: Done) -> bool:
        from gi.repository import Gtk

        if title in self._open:
            self._open[title].present()
            return False
        dialog = Gtk.Dialog(title=title)
        dialog.add_buttons("_Cancel", Gtk.ResponseType.CANCEL, "_OK", Gtk.ResponseType.OK)
        dialog.set_default_response(Gtk.ResponseType.OK)
        dialog.set_keep_above(True)
        dialog.set_position(Gtk.WindowPosition.CENTER)
        dialog.set_default_size(360, -1)
        try:
            dialog.set_icon_from_file(str(resources.files("tray_app.data") / "icon.png"))
        except Exception:  # a missing icon must not cost the user the dialog
            log.debug("no window icon for the dialog", exc_info=True)
        box = dialog.get_content_area()
        box.set_spacing(8)
        box.set_border_width(12)
        box.add(Gtk.Label(label=prompt, xalign=0))
        entry = Gtk.Entry()
        entry.set_text(prefill)
        entry.set_activates_default(True)  # Return means OK
        box.add(entry)

        def on_response(widget: Any, response: int) -> None:
            text = entry.get_text() if response == Gtk.ResponseType.OK else None
            self._open.pop(title, None)
            widget.destroy()
            done(text)

        dialog.connect("response", on_response)
        self._open[title] = dialog
        dialog.show_all()
        entry.grab_focus()
        dialog.present()
        return False  # run once


def command_for(title: str, prompt: str, prefill: str) -> list[str] | None:
    """The prompt program for this platform, or None when none is installed."""
    title, prompt, prefill = safe_texts(title, prompt, prefill)
    if sys.platform == "darwin":
        # Values go in as argv, never spliced into the AppleScript source.
        script = [
            "on run argv",
            "set r to display dialog (item 2 of argv) default answer (item 3 of argv)"
            " with title (item 1 of argv)",
            "return text returned of r",
            "end run",
        ]
        return ["osascript", *(a for line in script for a in ("-e", line)), title, prompt, prefill]
    if shutil.which("zenity"):
        text = _markup_escaped(prompt)
        return ["zenity", "--entry", "--title", title, "--text", text, "--entry-text", prefill]
    if shutil.which("kdialog"):
        return ["kdialog", "--title", title, "--inputbox", prompt, prefill]
    return None


def run_prompt(command: list[str]) -> str | None:
    """Run a prompt program; its stdout on exit 0, else None (Cancel or failure)."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        log.warning("cannot run %s: %s", command[0], exc)
        return None
    if done.returncode != 0:
        return None
    return done.stdout.removesuffix("\n")


def _tk_prompt(title: str, prompt: str, prefill: str) -> str | None:
    """A tkinter prompt, created and destroyed on the calling (helper) thread."""
    import tkinter
    from tkinter import simpledialog

    root = tkinter.Tk()
    root.withdraw()
    root.attributes("-topmost", True)
    try:
        return simpledialog.askstring(title, prompt, initialvalue=prefill, parent=root)
    finally:
        root.destroy()


class ExternalDialogs:
    """Prompts in a helper thread; one at a time so clicks do not stack windows."""

    def __init__(self) -> None:
        self._busy = threading.Lock()

    def ask(self, title: str, prompt: str, prefill: str, done: Done) -> None:
        """Start the prompt and return; `done` runs on the helper thread."""
        if not self._busy.acquire(blocking=False):
            log.info("a dialog is already open")
            return
        threading.Thread(
            target=self._run, args=(title, prompt, prefill, done), name="tray-dialog", daemon=True
        ).start()

    def _run(self, title: str, prompt: str, prefill: str, done: Done) -> None:
        try:
            if sys.platform == "win32":
                answer = _tk_prompt(*safe_texts(title, prompt, prefill))
            else:
                command = command_for(title, prompt, prefill)
                if command is None:
                    log.warning("no dialog program found: install zenity (or kdialog)")
                    answer = None
                else:
                    answer = run_prompt(command)
        except Exception:
            log.exception("dialog failed")
            answer = None
        finally:
            self._busy.release()
        done(answer)


def dialogs_for(backend: str | None) -> AskText:
    """GTK dialogs when GTK's main loop runs the tray, else external prompt programs."""
    if backend in ("gtk", "appindicator"):
        return GtkDialogs().ask
    return ExternalDialogs().ask
