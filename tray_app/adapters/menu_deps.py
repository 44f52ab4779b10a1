"""What the Linux tray menu needs, and the one command line that installs what is missing.

A plain `pip install token-monitor` has no PyGObject (it compiles against system headers,
so it sits in the `[linux]` extra): the icon then falls back to pystray's plain X11 backend,
which has no menu and so no Quit. The tray start and `doctor` say exactly what to run.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

# The typelibs the menu loads at run time (Debian/Ubuntu names).
APT_TYPELIBS = ("gir1.2-ayatanaappindicator3-0.1", "gir1.2-gtk-3.0")
# What pip needs to build PyGObject and dbus-python from source.
APT_BUILD = (
    "libgirepository1.0-dev",
    "libcairo2-dev",
    "libdbus-1-dev",
    "pkg-config",
    "python3-dev",
)
PIP_EXTRA = "pip install 'token-monitor[linux]'"


@dataclass(frozen=True, slots=True)
class MenuDeps:
    """Which parts of the GTK/AppIndicator menu are present."""

    has_gi: bool  # PyGObject importable
    missing_typelibs: tuple[str, ...]  # of APT_TYPELIBS
    missing_build: tuple[str, ...] = ()  # of APT_BUILD, when PyGObject must be built

    @property
    def has_menu(self) -> bool:
        """Whether a menu (AppIndicator or GTK StatusIcon) can show: PyGObject and GTK."""
        return self.has_gi and APT_TYPELIBS[1] not in self.missing_typelibs


def _typelib(root: Path, name: str) -> bool:
    """Whether a GObject typelib is installed (looked up on disk: PyGObject may be absent)."""
    dirs = ("usr/lib/girepository-1.0", "usr/lib/*/girepository-1.0", "usr/lib64/girepository-1.0")
    return any(any(root.glob(f"{d}/{name}.typelib")) for d in dirs)


def _build_missing(root: Path) -> tuple[str, ...]:
    """The build packages pip needs for PyGObject and dbus-python that are not installed."""
    python_h = Path(sysconfig.get_paths()["include"]) / "Python.h"
    present = {
        "libgirepository1.0-dev": (root / "usr/include/gobject-introspection-1.0").is_dir(),
        "libcairo2-dev": (root / "usr/include/cairo/cairo.h").is_file(),
        "libdbus-1-dev": (root / "usr/include/dbus-1.0").is_dir(),
        "pkg-config": shutil.which("pkg-config") is not None,
        "python3-dev": python_h.is_file(),
    }
    return tuple(p for p in APT_BUILD if not present[p])


def probe(root: Path = Path("/")) -> MenuDeps:
    """Look for PyGObject, the typelibs and the build packages without opening a display."""
    if importlib.util.find_spec("gi") is None:
        indicator = _typelib(root, "AyatanaAppIndicator3-0.1") or _typelib(
            root, "AppIndicator3-0.1"
        )
        present = (indicator, _typelib(root, "Gtk-3.0"))
        missing = tuple(p for p, ok in zip(APT_TYPELIBS, present, strict=True) if not ok)
        return MenuDeps(False, missing, _build_missing(root))
    import gi

    def has(namespace: str, version: str) -> bool:
        try:
            gi.require_version(namespace, version)
        except ValueError:
            return False
        return True

    # Ubuntu's older AppIndicator3 serves the same menu as Ayatana's.
    indicator = has("AyatanaAppIndicator3", "0.1") or has("AppIndicator3", "0.1")
    present = (indicator, has("Gtk", "3.0"))
    return MenuDeps(True, tuple(p for p, ok in zip(APT_TYPELIBS, present, strict=True) if not ok))


def install_command(deps: MenuDeps, apt: bool = True) -> str:
    """The command line that completes the menu's dependencies (empty when nothing is missing)."""
    packages = list(deps.missing_typelibs) + ([] if deps.has_gi else list(deps.missing_build))
    steps = []
    if packages:
        names = " ".join(packages)
        steps.append(f"sudo apt install {names}" if apt else f"install (Debian names) {names}")
    if not deps.has_gi:
        steps.append(PIP_EXTRA)
    return " && ".join(steps)


def advice(deps: MenuDeps, platform: str = sys.platform, pid: int | None = None) -> str | None:
    """One line for the tray start and `doctor` when the menu cannot show, else None."""
    if not platform.startswith("linux") or deps.has_menu:
        return None
    command = install_command(deps, apt=shutil.which("apt-get") is not None)
    quit_hint = f"; until then quit it with Ctrl+C or `kill {pid}`" if pid else ""
    return f"the tray icon has no menu (no Quit) until you run: {command}{quit_hint}"
