"""The PyInstaller spec and packaging files, checked without building (seconds, not a minute).

The spec is executed with recording stand-ins for PyInstaller's build classes, once for
this platform (with the real hooks, so every hidden import must resolve here) and once each
as Windows and macOS (hooks stubbed) to check the per-platform layout. The real build and
its run on a clean environment are `scripts/build.sh` + `scripts/check_build.sh`.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "packaging" / "token-monitor.spec"
DEV_TOOLS = ("pytest", "hypothesis", "mypy", "ruff", "importlinter", "PyInstaller")
SCRIPTS = ("scripts/build.sh", "scripts/check_build.sh", "packaging/install-linux.sh")


class Recorder:
    """Stands in for Analysis, PYZ, EXE, COLLECT and BUNDLE: keeps its arguments."""

    made: list[Recorder]

    def __init__(self, kind: str, *args: Any, **kwargs: Any) -> None:
        self.kind, self.args, self.kwargs = kind, args, kwargs
        self.scripts = self.pure = self.binaries = self.datas = ()
        Recorder.made.append(self)


def run_spec(monkeypatch: pytest.MonkeyPatch, platform: str | None = None) -> list[Recorder]:
    """Execute the spec as PyInstaller would; every build object it created, in order."""
    hooks = pytest.importorskip("PyInstaller.utils.hooks")
    monkeypatch.setenv("PYSTRAY_BACKEND", "dummy")  # what the spec sets for its own hooks
    if platform is not None and platform != sys.platform:
        monkeypatch.setattr(sys, "platform", platform)
        monkeypatch.setattr(hooks, "collect_submodules", lambda *a, **k: [])
    Recorder.made = []
    names = ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE")
    namespace: dict[str, Any] = {
        name: (lambda *a, _kind=name, **k: Recorder(_kind, *a, **k)) for name in names
    }
    namespace.update(SPECPATH=str(SPEC.parent), __file__=str(SPEC), __name__="__main__")
    exec(compile(SPEC.read_text(), str(SPEC), "exec"), namespace)
    return Recorder.made


def only(made: list[Recorder], kind: str) -> Recorder:
    (found,) = [r for r in made if r.kind == kind]
    return found


def test_entry_script_is_the_console_script(monkeypatch: pytest.MonkeyPatch) -> None:
    analysis = only(run_spec(monkeypatch), "Analysis")
    entry = Path(analysis.args[0][0])
    assert entry == ROOT / "packaging" / "entry.py"
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["token-monitor"] == "tray_app.launcher:main"
    assert "from tray_app.launcher import main" in entry.read_text()


def test_runtime_data_is_bundled_where_importlib_resources_looks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    datas = only(run_spec(monkeypatch), "Analysis").kwargs["datas"]
    bundled = {(Path(src).name, dest) for src, dest in datas}
    assert {("prices.json", "tray_app/data"), ("icon.png", "tray_app/data")} <= bundled
    assert all(Path(src).is_file() for src, _ in datas)


def test_every_hidden_import_exists_here(monkeypatch: pytest.MonkeyPatch) -> None:
    hidden = only(run_spec(monkeypatch), "Analysis").kwargs["hiddenimports"]
    assert "tray_app.app" in hidden and "tray_app.ui.tray" in hidden
    missing = [name for name in hidden if importlib.util.find_spec(name) is None]
    assert missing == []


def test_dev_tools_are_excluded(monkeypatch: pytest.MonkeyPatch) -> None:
    excludes = only(run_spec(monkeypatch), "Analysis").kwargs["excludes"]
    assert set(DEV_TOOLS) <= set(excludes)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux build")
def test_linux_build_is_one_stripped_dir_with_trimmed_gtk(monkeypatch: pytest.MonkeyPatch) -> None:
    made = run_spec(monkeypatch)
    analysis = only(made, "Analysis")
    hidden = analysis.kwargs["hiddenimports"]
    assert {"pystray._appindicator", "pystray._gtk", "pystray._xorg"} <= set(hidden)
    assert {"plyer.platforms.linux.notification", "watchdog.observers.inotify"} <= set(hidden)
    gi = analysis.kwargs["hooksconfig"]["gi"]
    assert gi["icons"] == [] and gi["module-versions"] == {"Gtk": "3.0"}
    assert "tkinter" in analysis.kwargs["excludes"]  # the Windows-only prompt
    (exe,) = [r for r in made if r.kind == "EXE"]
    assert exe.kwargs["name"] == "token-monitor" and exe.kwargs["exclude_binaries"]
    assert exe.kwargs["strip"] is True
    assert only(made, "COLLECT").kwargs["name"] == "token-monitor"
    assert not [r for r in made if r.kind == "BUNDLE"]


def test_windows_build_has_a_windowed_app_and_a_console_cli(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = run_spec(monkeypatch, "win32")
    exes = {r.kwargs["name"]: r.kwargs for r in made if r.kind == "EXE"}
    assert exes["token-monitor"]["console"] is False
    assert exes["token-monitor-cli"]["console"] is True
    assert all(e["icon"].endswith("token-monitor.ico") for e in exes.values())
    analysis = only(made, "Analysis")
    hidden = analysis.kwargs["hiddenimports"]
    assert {"pystray._win32", "plyer.platforms.win.notification"} <= set(hidden)
    assert "watchdog.observers.read_directory_changes" in hidden
    assert "tkinter" not in analysis.kwargs["excludes"]


def test_macos_build_is_a_menu_bar_only_app(monkeypatch: pytest.MonkeyPatch) -> None:
    made = run_spec(monkeypatch, "darwin")
    bundle = only(made, "BUNDLE")
    assert bundle.kwargs["name"] == "Token Monitor.app"
    assert bundle.kwargs["info_plist"]["LSUIElement"] is True
    hidden = only(made, "Analysis").kwargs["hiddenimports"]
    assert {"pystray._darwin", "plyer.platforms.macosx.notification"} <= set(hidden)
    assert "watchdog.observers.fsevents" in hidden


def test_desktop_entry_is_valid() -> None:
    entry = ROOT / "packaging" / "token-monitor.desktop"
    text = entry.read_text()
    assert "Exec=token-monitor\n" in text and "Icon=token-monitor\n" in text
    if shutil.which("desktop-file-validate"):
        done = subprocess.run(
            ["desktop-file-validate", str(entry)], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("script", SCRIPTS)
def test_shell_scripts_parse_and_are_executable(script: str) -> None:
    path = ROOT / script
    assert os.access(path, os.X_OK)
    assert "set -euo pipefail" in path.read_text()
    if shutil.which("bash"):
        subprocess.run(["bash", "-n", str(path)], check=True)
