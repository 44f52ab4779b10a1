"""Notifications: never raise, warn once, give up after ~2 s; a real Notify on a private bus."""

from __future__ import annotations

import logging
import os
import select
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tray_app.ui.notify import APP_NAME, QUEUE_MAX, Notifier

ROOT = Path(__file__).resolve().parents[2]
BINARIES = ("Xvfb", "dbus-daemon", "dbus-monitor", "dbus-send", "dunst")
# A bus of our own with no service directories: nothing can be D-Bus-activated behind
# our back (dunst ships an activation file), so every process on it is one we started.
BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""
SEND = (
    "import sys, logging; logging.basicConfig();"
    "from tray_app.ui.notify import Notifier;"
    "print(Notifier().send(sys.argv[1], sys.argv[2]))"
)
# What the tray does: queue for the worker thread, then stop it on quit (True = joined).
POST = (
    "import sys, logging; logging.basicConfig();"
    "from tray_app.ui.notify import Notifier;"
    "n = Notifier(); n.post(sys.argv[1], sys.argv[2]); print(n.stop(20))"
)


def test_success_is_true() -> None:
    calls: list[dict[str, object]] = []
    notifier = Notifier(icon="/x/icon.png", backend=lambda **kw: calls.append(kw))
    assert notifier.send("Title", "Body") is True
    assert calls == [
        {
            "title": "Title",
            "message": "Body",
            "app_name": "Token Monitor",
            "app_icon": "/x/icon.png",
            "timeout": 10,
        }
    ]


@pytest.mark.parametrize(
    "error",
    [NotImplementedError("No usable implementation found!"), OSError("no bus"), ValueError("x")],
)
def test_failures_are_false_and_warned_once(
    error: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(**_: object) -> None:
        raise error

    notifier = Notifier(backend=broken)
    with caplog.at_level(logging.DEBUG, logger="tray_app.ui.notify"):
        assert notifier.send("a", "b") is False
        assert notifier.send("a", "b") is False
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and type(error).__name__ in warnings[0].getMessage()
    assert str(error) in warnings[0].getMessage()


def _workers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "tm-notify"]


def test_posts_are_shown_in_order_by_one_worker_joined_on_stop() -> None:
    shown: list[tuple[str, str]] = []
    threads: set[str] = set()

    def backend(**kw: object) -> None:
        threads.add(threading.current_thread().name)
        shown.append((str(kw["title"]), str(kw["message"])))

    notifier = Notifier(icon="", backend=backend)
    assert _workers() == []  # nothing started until the first notification
    for i in range(5):
        notifier.post(f"alert {i}", "x\x1b[2J")  # cleaned on the worker too
    assert len(_workers()) == 1
    assert notifier.stop(5) is True  # what was queued is shown before the worker ends
    assert shown == [(f"alert {i}", "x") for i in range(5)]
    assert threads == {"tm-notify"} and _workers() == []
    notifier.post("after quit", "b")  # dropped: no new worker, nothing shown
    assert _workers() == [] and len(shown) == 5


def test_a_failing_backend_does_not_end_the_worker() -> None:
    calls: list[str] = []

    def flaky(**kw: object) -> None:
        calls.append(str(kw["title"]))
        if kw["title"] == "first":
            raise OSError("bus went away")

    notifier = Notifier(icon="", backend=flaky)
    notifier.post("first", "b")
    notifier.post("second", "b")
    assert notifier.stop(5) is True
    assert calls == ["first", "second"]


def test_a_hung_bus_never_holds_up_the_caller_and_quit_waits_only_the_timeout() -> None:
    release = threading.Event()
    entered = threading.Event()

    def hang(**_: object) -> None:
        entered.set()
        release.wait(10)

    notifier = Notifier(icon="", backend=hang)
    started = time.monotonic()
    for _ in range(QUEUE_MAX + 10):  # the first hangs, the queue fills, the rest are dropped
        notifier.post("a", "b")
    assert time.monotonic() - started < 0.5
    assert entered.wait(5)
    started = time.monotonic()
    assert notifier.stop(0.3) is False  # still stuck on the bus: quit goes on without it
    assert time.monotonic() - started < 1.0
    (worker,) = _workers()
    release.set()  # the bus answers: the worker empties the queue and ends by itself
    worker.join(5)
    assert not worker.is_alive()


def test_stop_without_any_notification_starts_nothing() -> None:
    notifier = Notifier(icon="", backend=lambda **_: None)
    assert notifier.stop() is True
    assert _workers() == []


def _python_send(
    env: dict[str, str], title: str, body: str, code: str = SEND
) -> subprocess.CompletedProcess[str]:
    """Send from a fresh interpreter: dbus-python keeps one shared session bus per process."""
    return subprocess.run(
        [sys.executable, "-c", code, title, body],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def _base_env(tmp_path: Path) -> dict[str, str]:
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    # Nothing inherited: no DISPLAY, no user bus, no XDG_RUNTIME_DIR/bus to fall back on.
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "NO_AT_BRIDGE": "1",
        "PYTHONPATH": str(ROOT),
    }


def test_no_bus_is_false_not_an_exception(tmp_path: Path) -> None:
    pytest.importorskip("dbus", reason="plyer only talks D-Bus through dbus-python")
    env = _base_env(tmp_path) | {"DBUS_SESSION_BUS_ADDRESS": f"unix:path={tmp_path}/none"}
    started = time.monotonic()
    result = _python_send(env, "t", "b")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
    assert "notifications unavailable" in result.stderr
    assert time.monotonic() - started < 10  # interpreter start-up included


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """Terminate, then kill, every process we started, newest first."""
    for process in reversed(processes):
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def _read_line(fd: int, timeout: float) -> str:
    """One line from a pipe, or "" after `timeout` seconds."""
    data = b""
    deadline = time.monotonic() + timeout
    while not data.endswith(b"\n") and select.select([fd], [], [], deadline - time.monotonic())[0]:
        chunk = os.read(fd, 256)
        if not chunk:
            break
        data += chunk
    return data.decode().strip()


def _start_bus(tmp_path: Path, env: dict[str, str], started: list[subprocess.Popen[bytes]]) -> str:
    """A private dbus-daemon; returns its address."""
    config = tmp_path / "bus.conf"
    config.write_text(BUS_CONFIG.format(socket=tmp_path / "bus"))
    bus = subprocess.Popen(
        ["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address=1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    started.append(bus)
    assert bus.stdout is not None
    address = _read_line(bus.stdout.fileno(), 10)
    assert address, "dbus-daemon printed no address"
    return address


def test_bus_without_a_daemon_is_false(tmp_path: Path) -> None:
    pytest.importorskip("dbus", reason="plyer only talks D-Bus through dbus-python")
    if shutil.which("dbus-daemon") is None:
        pytest.skip("needs dbus-daemon (apt-get install dbus-daemon)")
    started: list[subprocess.Popen[bytes]] = []
    try:
        env = _base_env(tmp_path)
        env["DBUS_SESSION_BUS_ADDRESS"] = _start_bus(tmp_path, env, started)
        result = _python_send(env, "t", "b")
    finally:
        _stop(started)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
    assert "ServiceUnknown" in result.stderr


@dataclass
class Desktop:
    """A private X display, session bus and notification daemon, with a bus monitor."""

    env: dict[str, str]
    monitor_log: Path


def _wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `check` until it is true, or fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def desktop(tmp_path: Path) -> Iterator[Desktop]:
    """Xvfb + dbus-daemon + dunst + dbus-monitor, all stopped afterwards."""
    missing = [name for name in BINARIES if shutil.which(name) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (apt-get install xvfb dbus-daemon dbus-bin dunst)")
    pytest.importorskip("dbus", reason="needs dbus-python (pip install dbus-python)")
    started: list[subprocess.Popen[bytes]] = []
    try:
        read_end, write_end = os.pipe()
        xvfb = ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "640x480x24", "-nolisten"]
        started.append(
            subprocess.Popen(
                [*xvfb, "tcp"],
                pass_fds=(write_end,),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        os.close(write_end)
        display = _read_line(read_end, 15)
        os.close(read_end)
        assert display, "Xvfb reported no display"
        # DISPLAY is set before the bus starts, as the bus hands its environment on.
        env = _base_env(tmp_path) | {"DISPLAY": f":{display}"}
        env["DBUS_SESSION_BUS_ADDRESS"] = _start_bus(tmp_path, env, started)
        log = tmp_path / "monitor.log"
        with log.open("wb") as out:
            monitor = ["dbus-monitor", "--session", "interface=org.freedesktop.Notifications"]
            started.append(subprocess.Popen(monitor, env=env, stdout=out, stderr=out))
        started.append(
            subprocess.Popen(
                ["dunst"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        )
        has_owner = [
            "dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner",
            "string:org.freedesktop.Notifications",
        ]  # fmt: skip

        def daemon_ready() -> bool:
            reply = subprocess.run(has_owner, env=env, capture_output=True, text=True)
            return "boolean true" in reply.stdout

        _wait_for(daemon_ready, 15, "dunst to own org.freedesktop.Notifications")
        # The monitor is attached once it has printed its own NameAcquired/NameLost lines.
        _wait_for(lambda: log.stat().st_size > 0, 10, "dbus-monitor to attach")
        yield Desktop(env, log)
    finally:
        _stop(started)
    assert all(process.poll() is not None for process in started)


def _notify_strings(log: str) -> list[str]:
    """The string arguments of the first Notify call in dbus-monitor's output."""
    lines = log.split("member=Notify", 1)[1].splitlines()[1:]
    strings = []
    for line in lines:
        if line.startswith("method call") or line.startswith("method return"):
            break
        stripped = line.strip()
        if stripped.startswith('string "'):
            strings.append(stripped[len('string "') : -1])
    return strings


@pytest.mark.display
def test_a_real_notification_reaches_the_daemon(desktop: Desktop) -> None:
    title = "Claude usage at 80% of your 5-hour limit"
    body = "1.2M of 1.5M tokens (limit: max of past blocks) · resets 17:00 (in 1 h 12 min)"
    result = _python_send(desktop.env, title, body, POST)  # through the worker, as the tray
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True", result.stderr  # the worker ended on stop()
    assert "unavailable" not in result.stderr, result.stderr  # the send itself succeeded
    _wait_for(lambda: "member=Notify" in desktop.monitor_log.read_text(), 10, "the Notify call")
    time.sleep(0.3)  # the call's arguments follow its header line
    log = desktop.monitor_log.read_text(encoding="utf-8")
    app_name, _icon, summary, text = _notify_strings(log)[:4]
    assert (app_name, summary, text) == (APP_NAME, title, body)
    assert "int32 10000" in log.split("member=Notify", 1)[1]  # 10 s on screen
