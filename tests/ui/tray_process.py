"""Drive `tests.ui.tray_driver` in its own process on a test desktop."""

from __future__ import annotations

import contextlib
import json
import math
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

from PIL import Image

from tests.ui.desktop import Desktop, Window, die_with_parent

ROOT = Path(__file__).resolve().parents[2]
RGB = tuple[int, int, int]


class TrayProcess:
    """A tray app in a subprocess: pystray owns that process's main thread."""

    def __init__(
        self,
        desktop: Desktop,
        workdir: Path,
        backend: str | None = None,
        module: str = "tests.ui.tray_driver",
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.desktop = desktop
        self.calls_path = workdir / "calls.jsonl"
        self.log_path = workdir / "tray.log"
        env = {**desktop.env, **(extra_env or {})}
        if backend:
            env["PYSTRAY_BACKEND"] = backend
        self._log: IO[str] = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", module, str(self.calls_path)],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._log, text=True, preexec_fn=die_with_parent,
        )  # fmt: skip
        assert self.proc.stdout is not None
        self.info: dict[str, Any] = json.loads(self.proc.stdout.readline() or "{}")

    def send(self, **command: Any) -> None:
        """One stdin command; waits for the driver's `ok`."""
        self._write(command)
        assert self.proc.stdout is not None
        # Never hang the test run on a wedged tray: give the reply ten seconds.
        ready, _, _ = select.select([self.proc.stdout], [], [], 10.0)
        assert ready, f"tray did not answer {command}"
        assert self.proc.stdout.readline().strip() == "ok"

    def _write(self, command: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()

    def calls(self) -> list[list[Any]]:
        """Controller calls so far."""
        if not self.calls_path.exists():
            return []
        return [json.loads(line) for line in self.calls_path.read_text().splitlines()]

    def wait_calls(self, count: int, timeout: float = 10.0) -> list[list[Any]]:
        deadline = time.monotonic() + timeout
        while len(self.calls()) < count:
            assert time.monotonic() < deadline, f"calls so far: {self.calls()}"
            time.sleep(0.05)
        return self.calls()

    def icon(self) -> Window:
        """The docked icon: our window inside trayer's panel."""
        tray = self.desktop.tray

        def docked(w: Window) -> bool:
            # Class is the indicator id (appindicator), the program (gtk) or pystray's (xorg).
            return in_tray(w, tray) and w.wm_class != "" and w.id != tray.id and w.width > 8

        window = self.desktop.wait_window(docked)
        assert window is not None
        return window

    def popups(self) -> list[Window]:
        """Our mapped top-level popups (menus, dialogs), largest first."""
        mine = [
            w
            for w in self.desktop.windows()
            if "tray_driver" in w.wm_class and w.width > 50 and not in_tray(w, self.desktop.tray)
        ]
        return sorted(mine, key=lambda w: -w.width * w.height)

    def wait_popups(self, count: int, timeout: float = 10.0) -> list[Window]:
        deadline = time.monotonic() + timeout
        while len(found := self.popups()) < count:
            assert time.monotonic() < deadline, f"{len(found)} popups"
            time.sleep(0.1)
        return found

    def close(self) -> int:
        """Quit (or kill) the tray; its exit code."""
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):  # BrokenPipeError: it is already gone
                self._write({"quit": True})
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()
        return self.proc.returncode

    def log(self) -> str:
        return self.log_path.read_text()


def in_tray(w: Window, tray: Window) -> bool:
    """Whether `w` starts inside the tray panel."""
    return tray.x <= w.x < tray.x + tray.width and tray.y <= w.y < tray.y + tray.height


def share_near(img: Image.Image, color: tuple[int, ...], tolerance: float = 40.0) -> float:
    """Share of pixels within `tolerance` (RGB distance) of `color`."""
    rgb = img.convert("RGB")
    raw = rgb.tobytes()
    target = color[:3]
    hits = sum(
        1
        for i in range(0, len(raw), 3)
        if math.dist((raw[i], raw[i + 1], raw[i + 2]), target) <= tolerance
    )
    return hits / (rgb.width * rgb.height)
