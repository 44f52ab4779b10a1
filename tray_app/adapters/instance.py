"""One tray per user: an exclusive lock on a file in the user's runtime (or data) dir.

The lock is a kernel lock on an open file, not the file's existence: `flock` (POSIX) and
`msvcrt.locking` (Windows) are released by the OS when the holder's last descriptor
closes, which includes a crash or SIGKILL. A lock file left behind by a dead process is
therefore just an unlocked file, and the next start takes it without any PID guessing.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from types import TracebackType

from tray_app.adapters.locations import APP, data_dir, private_dir

log = logging.getLogger(__name__)
LOCK_NAME = "token-monitor.lock"


def lock_path() -> Path:
    """`$XDG_RUNTIME_DIR/token-monitor/…` where it exists, else the data dir."""
    candidates: list[Path] = []
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    # Only a real runtime dir: a shared /tmp fallback would let other users squat the name.
    if sys.platform.startswith("linux") and runtime and Path(runtime).is_dir():
        candidates.append(Path(runtime) / APP)
    candidates.append(data_dir())
    for directory in candidates:
        try:
            return private_dir(directory) / LOCK_NAME
        except OSError as exc:  # e.g. /run/user/<uid> missing in a container
            log.debug("lock dir %s unusable: %s", directory, exc)
    return data_dir() / LOCK_NAME


def _try_lock(fd: int) -> bool:
    """Take the exclusive lock without waiting."""
    if sys.platform == "win32":
        import msvcrt

        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # BlockingIOError: someone else holds it
        return False
    return True


class InstanceLock:
    """A held lock; `release()` (or leaving the `with` block, or exiting) frees it."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @property
    def held(self) -> bool:
        """True until released."""
        return self._fd is not None

    def release(self) -> None:
        """Unlock and close; the file stays (deleting it would race a starting instance)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            if sys.platform == "win32":
                import msvcrt

                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
            else:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_UN)
        except OSError as exc:
            log.debug("unlocking %s: %s", self.path, exc)
        finally:
            os.close(fd)

    def __enter__(self) -> InstanceLock:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def acquire(path: Path | None = None) -> InstanceLock | None:
    """Lock `path` (default `lock_path()`); None when another instance holds it."""
    target = path or lock_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    # os.open fds are not inherited by children (PEP 446), so a spawned helper such as
    # xdg-open cannot keep the lock alive after the tray exits.
    fd = os.open(target, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)
        if not _try_lock(fd):
            os.close(fd)
            log.info("another instance holds %s", target)
            return None
        if sys.platform != "win32":  # Windows byte locks are mandatory: leave the file as is
            # The PID is only a hint for humans (`cat` the file); the lock is the truth.
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
    except BaseException:
        os.close(fd)
        raise
    return InstanceLock(target, fd)
