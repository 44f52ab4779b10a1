"""A private X desktop for tray tests and screenshots: Xvfb, D-Bus, dunst and trayer."""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import select
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

NEEDED = ("Xvfb", "trayer", "dunst", "dbus-daemon", "dbus-send", "xdotool", "xwininfo", "import")
SCREEN = (1024, 768)
PR_SET_PDEATHSIG = 1
TRAY = {"width": 200, "height": 32}
_WINDOW = re.compile(
    r'^\s*(0x[0-9a-f]+) (?:"(?P<name>.*?)"|\(has no name\)): \((?P<cls>.*?)\)\s+'
    r"(?P<w>\d+)x(?P<h>\d+)\+-?\d+\+-?\d+\s+\+(?P<x>-?\d+)\+(?P<y>-?\d+)",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Window:
    """One X window with absolute geometry (from `xwininfo -root -tree`)."""

    id: str
    name: str
    wm_class: str
    x: int
    y: int
    width: int
    height: int

    @property
    def center(self) -> tuple[int, int]:
        return self.x + self.width // 2, self.y + self.height // 2

    @property
    def box(self) -> tuple[int, int, int, int]:
        return self.x, self.y, self.x + self.width, self.y + self.height


@dataclass
class Desktop:
    """The running display; helpers wrap xdotool, xwininfo and ImageMagick `import`."""

    display: str
    env: dict[str, str]
    tray: Window  # trayer's panel

    def run(self, *cmd: str) -> str:
        """Run a helper against this display; its stdout."""
        done = subprocess.run(cmd, env=self.env, capture_output=True, timeout=30)
        return "\n".join(_decode(line) for line in done.stdout.split(b"\n"))

    def windows(self) -> list[Window]:
        """All windows, names with newlines joined (a tray title spans lines)."""
        text = self.run("xwininfo", "-root", "-tree")
        # Multi-line titles are printed raw; fold continuation lines back into their header.
        text = re.sub(r"\n(?=\S)(?!xwininfo:)", " ", text)
        return [
            Window(
                m.group(1), m.group("name") or "", m.group("cls"),
                int(m.group("x")), int(m.group("y")), int(m.group("w")), int(m.group("h")),
            )
            for m in _WINDOW.finditer(text)
        ]  # fmt: skip

    def wait_window(
        self, match: Callable[[Window], bool], timeout: float = 10.0, gone: bool = False
    ) -> Window | None:
        """Poll until a matching window is mapped (or, with `gone`, until none is)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [w for w in self.windows() if match(w) and w.width > 1]
            if gone and not found:
                return None
            if found and not gone:
                return found[0]
            if time.monotonic() > deadline:
                raise AssertionError(f"window {'still there' if gone else 'not found'}")
            time.sleep(0.1)

    def screenshot(self, path: Path | None = None) -> Image.Image:
        """The whole screen as RGB (via `import -window root`)."""
        target = path or Path(self.env["XDG_RUNTIME_DIR"]) / "shot.png"
        subprocess.run(["import", "-window", "root", str(target)], env=self.env, check=True)
        with Image.open(target) as img:
            return img.convert("RGB")

    def click(self, x: int, y: int, button: int = 1) -> None:
        self.run("xdotool", "mousemove", str(x), str(y), "click", str(button))

    def key(self, *keys: str) -> None:
        self.run("xdotool", "key", "--delay", "60", *keys)

    def type(self, window: Window, text: str) -> None:
        """Focus `window` and type into it (no window manager gives focus on its own)."""
        self.run("xdotool", "windowfocus", "--sync", str(int(window.id, 16)))
        self.run("xdotool", "type", "--delay", "30", text)


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """Terminate what the fixture started, newest first, escalating to SIGKILL."""
    for proc in reversed(procs):
        proc.terminate()
    for proc in reversed(procs):
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def die_with_parent() -> None:
    """In the child: get SIGTERM when the test process dies, even by SIGKILL (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _wait(check: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start")
        time.sleep(0.05)


def _decode(line: bytes) -> str:
    """UTF-8, or Latin-1 for the odd window whose name is a plain X11 STRING."""
    try:
        return line.decode()
    except UnicodeDecodeError:
        return line.decode("latin-1")


class DesktopUnavailable(RuntimeError):
    """A program the desktop needs is missing or did not start."""


@contextlib.contextmanager
def start_desktop(runtime: Path) -> Iterator[Desktop]:
    """Xvfb on a free display, a private bus (DISPLAY already set), dunst and trayer.

    `runtime` becomes XDG_RUNTIME_DIR for everything started here. All processes are
    stopped on exit, newest first.
    """
    missing = [p for p in NEEDED if shutil.which(p) is None]
    if missing:
        raise DesktopUnavailable(f"missing {', '.join(missing)}")
    runtime.mkdir(parents=True, exist_ok=True)
    runtime.chmod(0o700)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        read_fd, write_fd = os.pipe()
        xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "{}x{}x24".format(*SCREEN),
             "-nolisten", "tcp"],
            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )  # fmt: skip
        procs.append(xvfb)
        os.close(write_fd)
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()  # Xvfb writes the display once it is ready
        if not number:
            raise DesktopUnavailable("Xvfb did not start")
        env = {
            k: v for k, v in os.environ.items() if k not in ("PYSTRAY_BACKEND", "WAYLAND_DISPLAY")
        }
        env.update(DISPLAY=f":{number}", NO_AT_BRIDGE="1", XDG_RUNTIME_DIR=str(runtime))
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)  # never the host's bus, never autolaunch
        # --nofork keeps the bus our child, so it dies with us (not --fork: an orphan
        # daemon outlives a killed test run).
        bus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )  # fmt: skip
        procs.append(bus)
        assert bus.stdout is not None
        ready, _, _ = select.select([bus.stdout], [], [], 10.0)
        address = bus.stdout.readline().decode().strip() if ready else ""
        if not address:
            raise DesktopUnavailable("dbus-daemon did not start")
        env["DBUS_SESSION_BUS_ADDRESS"] = address
        procs.append(_quiet(["dunst"], env))
        has_owner = [
            "dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner",
            "string:org.freedesktop.Notifications",
        ]  # fmt: skip
        _wait(lambda: "true" in _output(has_owner, env), "dunst")
        trayer = [
            "trayer", "--edge", "top", "--align", "right", "--widthtype", "pixel",
            "--width", str(TRAY["width"]), "--heighttype", "pixel", "--height", str(TRAY["height"]),
            "--SetDockType", "true", "--transparent", "false", "--tint", "0xdddddd",
            "--expand", "true",
        ]  # fmt: skip
        procs.append(_quiet(trayer, env))
        desk = Desktop(f":{number}", env, Window("", "", "", 0, 0, 0, 0))
        panel = desk.wait_window(lambda w: w.name == "panel" and "trayer" in w.wm_class)
        assert panel is not None
        desk.tray = panel
        yield desk
    finally:
        _stop(procs)


def _quiet(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        preexec_fn=die_with_parent,
    )  # fmt: skip


def _output(cmd: list[str], env: dict[str, str]) -> str:
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=10).stdout
