"""A `token-monitor serve|dashboard` child process on its own data dir, ledger and config."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.builders import assistant, write_jsonl

ROOT = Path(__file__).resolve().parents[2]


def transcripts(root: Path, sessions: int, models: tuple[str, ...], minutes: float = 0.0) -> Path:
    """`sessions` transcripts under root/projects with a few responses of each model."""
    for s in range(sessions):
        lines: list[dict[str, Any] | bytes | str] = []
        for i, model in enumerate(models):
            lines.append(assistant(f"msg_{root.name}_{s}_{i}", 40 + 7 * i + s, minutes=minutes + s,
                                   session=f"{root.name}-sess-{s}", request=f"req_{s}_{i}",
                                   model=model, input_tokens=5 + i, cache_5m=100 * (s + 1),
                                   cache_read=1000 + i))  # fmt: skip
        write_jsonl(root / "projects" / f"-home-u-proj{s}" / f"{root.name}-{s}.jsonl", lines)
    return root


def environment(home: Path, config: str = "") -> dict[str, str]:
    """The child's environment: private ledger and config (`config` is the YAML text)."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.yaml").write_text(config)
    return {
        **os.environ,
        "TOKEN_MONITOR_DB": str(home / "ledger.sqlite3"),
        "TOKEN_MONITOR_CONFIG": str(home / "config.yaml"),
        "PYTHONPATH": str(ROOT),
    }


def cli_json(env: dict[str, str], *args: str) -> dict[str, Any]:
    """Run a CLI command with --json and parse its output."""
    out = subprocess.run([sys.executable, "-m", "tray_app", *args, "--json"], env=env,
                         capture_output=True, text=True, check=True, timeout=60)  # fmt: skip
    parsed: dict[str, Any] = json.loads(out.stdout)
    return parsed


class Served:
    """The child process; `url` is the first line it printed."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "tray_app", *args], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)  # fmt: skip
        self.stderr = ""
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url:
            self.stop()
            raise AssertionError(f"no URL printed; stderr: {self.stderr}")

    def stop(self) -> int:
        """SIGTERM, then wait; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            _, self.stderr = self.proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, self.stderr = self.proc.communicate()
        return self.proc.returncode


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for(check: Callable[[], Any], timeout: float = 30.0, step: float = 0.2) -> Any:
    """Poll `check` until it returns something truthy (exceptions count as not yet)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(step)
    raise AssertionError(f"timed out; last: {last!r}")
