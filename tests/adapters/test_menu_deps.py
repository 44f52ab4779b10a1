"""The one-line advice when the Linux tray menu's dependencies are missing."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.builders import assistant, write_jsonl
from tray_app import launcher
from tray_app.adapters import menu_deps
from tray_app.adapters.menu_deps import MenuDeps

NO_GI = MenuDeps(False, menu_deps.APT_TYPELIBS, menu_deps.APT_BUILD)
APT = (
    "sudo apt install gir1.2-ayatanaappindicator3-0.1 gir1.2-gtk-3.0 libgirepository1.0-dev "
    "libcairo2-dev libdbus-1-dev pkg-config python3-dev && pip install 'token-monitor[linux]'"
)


def test_plain_pip_install_gets_the_full_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(menu_deps.shutil, "which", lambda name: "/usr/bin/" + name)
    assert menu_deps.install_command(NO_GI) == APT
    said = menu_deps.advice(NO_GI, "linux", pid=4242)
    assert said == (
        f"the tray icon has no menu (no Quit) until you run: {APT}; "
        "until then quit it with Ctrl+C or `kill 4242`"
    )


def test_only_what_is_missing_is_named() -> None:
    gtk_missing = MenuDeps(True, ("gir1.2-gtk-3.0",))
    assert menu_deps.install_command(gtk_missing) == "sudo apt install gir1.2-gtk-3.0"
    assert menu_deps.install_command(gtk_missing, apt=False) == (
        "install (Debian names) gir1.2-gtk-3.0"
    )
    # Without AppIndicator the GTK StatusIcon still has the menu: no advice at start.
    assert menu_deps.advice(MenuDeps(True, ("gir1.2-ayatanaappindicator3-0.1",)), "linux") is None
    assert menu_deps.advice(MenuDeps(True, ()), "linux") is None
    assert menu_deps.advice(NO_GI, "darwin") is None and menu_deps.advice(NO_GI, "win32") is None


def test_probe_sees_a_missing_pygobject(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "gi", None)  # as after `pip install token-monitor`
    bare = menu_deps.probe(tmp_path)  # a system with none of the packages
    assert (bare.has_gi, bare.missing_typelibs) == (False, menu_deps.APT_TYPELIBS)
    assert {"libgirepository1.0-dev", "libcairo2-dev", "libdbus-1-dev"} <= set(bare.missing_build)
    # Installed typelibs and headers are not named again: only pip's part is left.
    lib = tmp_path / "usr" / "lib" / "x86_64-linux-gnu" / "girepository-1.0"
    lib.mkdir(parents=True)
    (lib / "Gtk-3.0.typelib").write_bytes(b"")
    (lib / "AyatanaAppIndicator3-0.1.typelib").write_bytes(b"")
    for d in ("gobject-introspection-1.0", "cairo", "dbus-1.0"):
        (tmp_path / "usr" / "include" / d).mkdir(parents=True)
    (tmp_path / "usr" / "include" / "cairo" / "cairo.h").write_text("")
    ready = menu_deps.probe(tmp_path)
    assert ready.missing_typelibs == ()
    assert not {"libgirepository1.0-dev", "libcairo2-dev", "libdbus-1-dev"} & set(
        ready.missing_build
    )
    monkeypatch.setattr(menu_deps.shutil, "which", lambda name: "/usr/bin/" + name)
    assert menu_deps.install_command(MenuDeps(False, (), ())) == (
        "pip install 'token-monitor[linux]'"
    )


def test_tray_start_and_doctor_give_the_same_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "gi", None)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("PYSTRAY_BACKEND", raising=False)
    hint = launcher.menu_hint({})
    assert hint is not None and "pip install 'token-monitor[linux]'" in hint
    err = capsys.readouterr().err
    assert err == f"token-monitor: {hint}\n"
    assert launcher.menu_hint({"PYSTRAY_BACKEND": "xorg"}) is None  # chosen on purpose
    data = tmp_path / "claude"
    write_jsonl(data / "projects" / "p" / "s.jsonl", [assistant("m1", 5)])
    monkeypatch.setenv("TOKEN_MONITOR_DB", str(tmp_path / "l.db"))
    monkeypatch.setenv("TOKEN_MONITOR_CONFIG", str(tmp_path / "none.yaml"))
    assert launcher.main(["--json", "doctor", "--data-dir", str(data)]) == 0
    doctor = json.loads(capsys.readouterr().out)
    assert doctor["tray"]["fix"] == hint.split("; until then")[0]


def test_tray_options_may_come_before_the_word() -> None:
    assert launcher.tray_args([]) == []
    assert launcher.tray_args(["tray", "--debug"]) == ["--debug"]
    assert launcher.tray_args(["--debug", "tray"]) == ["--debug"]
    assert launcher.tray_args(["--data-dir", "/x", "tray", "--debug"]) == [
        "--data-dir",
        "/x",
        "--debug",
    ]
    assert launcher.tray_args(["--debug"]) is None  # the CLI's help, not a tray
    assert launcher.tray_args(["--json", "status"]) is None
    assert launcher.tray_args(["name", "s1", "tray"]) is None  # a session named "tray"
