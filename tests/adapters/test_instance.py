"""One instance per user: the lock excludes other processes and dies with its holder."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tray_app.adapters import instance

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX flock semantics")

PROBE = """
import sys, time
from pathlib import Path
from tray_app.adapters.instance import acquire
lock = acquire(Path(sys.argv[1]))
print("got" if lock else "busy", flush=True)
if lock and len(sys.argv) > 2:
    time.sleep(float(sys.argv[2]))
"""


def probe(path: Path) -> str:
    """Try the lock from another process; 'got' or 'busy'."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, timeout=30
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_second_process_is_refused_until_release(tmp_path: Path) -> None:
    path = tmp_path / "run" / "tm.lock"
    lock = instance.acquire(path)
    assert lock is not None and lock.held
    assert probe(path) == "busy"
    assert instance.acquire(path) is None  # a second open file in this process too
    lock.release()
    assert not lock.held
    assert probe(path) == "got"
    lock.release()  # idempotent


def test_file_is_private_and_names_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "tm.lock"
    with instance.acquire(path) as lock:
        assert lock is not None
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.read_text() == f"{os.getpid()}\n"
    assert probe(path) == "got"


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    path = tmp_path / "tm.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", PROBE, str(path), "60"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "got"
        assert instance.acquire(path) is None
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    assert path.exists()  # the file survives the crash …
    deadline = time.monotonic() + 5
    lock = instance.acquire(path)
    while lock is None and time.monotonic() < deadline:
        time.sleep(0.05)
        lock = instance.acquire(path)
    assert lock is not None  # … but the kernel dropped the lock with the process
    lock.release()


def test_lock_path_prefers_the_runtime_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("XDG runtime dir is Linux only")
    (tmp_path / "xdg").mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "xdg"))
    monkeypatch.setattr(instance, "data_dir", lambda: tmp_path / "data")
    path = instance.lock_path()
    assert path == tmp_path / "xdg" / "token-monitor" / instance.LOCK_NAME
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_lock_path_falls_back_to_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(blocker))
    monkeypatch.setattr(instance, "data_dir", lambda: tmp_path / "data")
    assert instance.lock_path() == tmp_path / "data" / instance.LOCK_NAME


def _victim(tmp_path: Path) -> Path:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    victim.chmod(0o644)
    return victim


def _untouched(victim: Path) -> None:
    assert victim.read_text() == "precious\n"
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644


def test_a_symlink_planted_at_the_lock_path_is_refused_not_followed(tmp_path: Path) -> None:
    victim = _victim(tmp_path)
    path = tmp_path / "run" / "tm.lock"
    path.parent.mkdir()
    path.symlink_to(victim)
    with pytest.raises(instance.UnsafeLockFile, match="symlink"):
        instance.acquire(path)
    _untouched(victim)
    dangling = tmp_path / "run" / "dangling.lock"
    dangling.symlink_to(tmp_path / "would-be-created")
    with pytest.raises(instance.UnsafeLockFile):
        instance.acquire(dangling)
    assert not (tmp_path / "would-be-created").exists()


def test_a_hard_link_or_a_fifo_at_the_lock_path_is_refused(tmp_path: Path) -> None:
    victim = _victim(tmp_path)
    path = tmp_path / "tm.lock"
    os.link(victim, path)
    with pytest.raises(instance.UnsafeLockFile, match="hard links"):
        instance.acquire(path)
    _untouched(victim)
    fifo = tmp_path / "fifo.lock"
    os.mkfifo(fifo)
    with pytest.raises(instance.UnsafeLockFile, match="not a regular file"):
        instance.acquire(fifo)  # returns at once: never blocks on the pipe


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")
def test_another_users_lock_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tm.lock"
    path.write_text("theirs\n")
    path.chmod(0o644)
    os.chown(path, 65534, 65534)
    with pytest.raises(instance.UnsafeLockFile, match="another user"):
        instance.acquire(path)
    assert path.read_text() == "theirs\n" and stat.S_IMODE(path.stat().st_mode) == 0o644


def test_a_shared_runtime_dir_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("XDG runtime dir is Linux only")
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # like /tmp
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(shared))
    monkeypatch.setattr(instance, "data_dir", lambda: tmp_path / "data")
    assert instance.lock_path() == tmp_path / "data" / instance.LOCK_NAME
    assert not (shared / "token-monitor").exists()
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777  # and never chmodded


def test_a_planted_symlink_dir_in_the_runtime_dir_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("XDG runtime dir is Linux only")
    runtime, elsewhere = tmp_path / "xdg", tmp_path / "elsewhere"
    runtime.mkdir(mode=0o700)
    elsewhere.mkdir(mode=0o755)
    (runtime / "token-monitor").symlink_to(elsewhere)
    victim = _victim(tmp_path)
    (elsewhere / instance.LOCK_NAME).symlink_to(victim)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.setattr(instance, "data_dir", lambda: tmp_path / "data")
    path = instance.lock_path()
    assert path == tmp_path / "data" / instance.LOCK_NAME
    with instance.acquire(path) as lock:
        assert lock is not None
    _untouched(victim)
    assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o755


def test_the_lock_descriptor_is_close_on_exec(tmp_path: Path) -> None:
    import fcntl

    with instance.acquire(tmp_path / "tm.lock") as lock:
        assert lock is not None and lock._fd is not None
        assert fcntl.fcntl(lock._fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC
