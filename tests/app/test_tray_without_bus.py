"""The real `token-monitor tray` on a real X display but without a usable D-Bus session bus.

It used to log a GLib traceback, release its lock and then hang forever, ignoring SIGTERM
(GLib's signal handler waited for a loop that never ran; pystray's setup thread waited
for a start that never came). Now it exits with one clear line, and SIGTERM always ends it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.builders import assistant, write_jsonl
from tests.ui.desktop import Desktop

pytestmark = pytest.mark.display
ROOT = str(Path(__file__).resolve().parents[2])


def tray_env(desktop: Desktop, tmp: Path, bus: str | None) -> dict[str, str]:
    runtime = tmp / "runtime"  # private, and with no `bus` socket in it
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {k: v for k, v in desktop.env.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    env.update(
        HOME=str(tmp / "home"),
        XDG_CONFIG_HOME=str(tmp / "home" / ".config"),
        XDG_STATE_HOME=str(tmp / "state"),
        XDG_DATA_HOME=str(tmp / "data"),
        XDG_RUNTIME_DIR=str(runtime),
        TOKEN_MONITOR_DB=str(tmp / "ledger.db"),
        TOKEN_MONITOR_CONFIG=str(tmp / "config.yaml"),
        PYTHONPATH=ROOT,
    )
    if bus is not None:
        env["DBUS_SESSION_BUS_ADDRESS"] = bus
    return env


def start(env: dict[str, str], tmp: Path) -> subprocess.Popen[str]:
    data = tmp / "claude"
    write_jsonl(data / "projects" / "p" / "s.jsonl", [assistant("m1", 10)])
    return subprocess.Popen(
        [sys.executable, "-m", "tray_app", "tray", "--data-dir", str(data)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def finish(proc: subprocess.Popen[str], timeout: float) -> tuple[int, str]:
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError(f"the tray still ran after {timeout} s") from None
    return proc.returncode, err


def lock_is_free(env: dict[str, str]) -> bool:
    probe = "from tray_app.adapters.instance import acquire;print('got' if acquire() else 'busy')"
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=30
    )
    return done.stdout.strip() == "got"


def test_no_bus_address_exits_at_once_with_one_clear_line(desktop: Desktop, tmp_path: Path) -> None:
    env = tray_env(desktop, tmp_path, bus=None)
    code, err = finish(start(env, tmp_path), timeout=20)
    assert code == 1
    assert err == (
        "token-monitor: error: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set): "
        "the tray menu and notifications need one; start Token Monitor from your desktop "
        "session or under dbus-run-session\n"
    )
    assert lock_is_free(env)


def test_an_unreachable_bus_ends_the_process_instead_of_hanging(
    desktop: Desktop, tmp_path: Path
) -> None:
    env = tray_env(desktop, tmp_path, bus=f"unix:path={tmp_path / 'no-such-bus'}")
    code, err = finish(start(env, tmp_path), timeout=20)
    assert code == 1
    assert err.splitlines()[-1].startswith("token-monitor: error: the tray could not start: ")
    assert "Could not connect" in err.splitlines()[-1]
    assert lock_is_free(env)


@pytest.fixture
def silent_bus(tmp_path: Path) -> Iterator[str]:
    """A socket that accepts connections and never answers: GLib's connect blocks."""
    path = tmp_path / "silent.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"unix:path={path}"
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        server.close()


def test_sigterm_ends_a_tray_stuck_connecting_to_the_bus(
    desktop: Desktop, tmp_path: Path, silent_bus: str
) -> None:
    env = tray_env(desktop, tmp_path, bus=silent_bus)
    proc = start(env, tmp_path)
    time.sleep(4)  # well into the blocked connect
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGTERM)
    sent = time.monotonic()
    code, _ = finish(proc, timeout=10)
    assert code == -signal.SIGTERM and time.monotonic() - sent < 5
    assert lock_is_free(env)


def test_a_running_tray_still_quits_cleanly_on_sigterm(desktop: Desktop, tmp_path: Path) -> None:
    env = tray_env(desktop, tmp_path, bus=desktop.env["DBUS_SESSION_BUS_ADDRESS"])
    proc = start(env, tmp_path)
    lock = tmp_path / "runtime" / "token-monitor" / "token-monitor.lock"
    deadline = time.monotonic() + 20
    while not (lock.exists() and lock.read_text().strip() == str(proc.pid)):  # it holds the lock
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.1)
    time.sleep(1.0)  # the GTK loop runs and has installed its handlers
    proc.send_signal(signal.SIGTERM)
    code, err = finish(proc, timeout=15)
    assert code == 0, err
    assert os.path.exists(tmp_path / "ledger.db")
