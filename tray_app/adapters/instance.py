"""One tray per user: an exclusive lock on a file in the user's runtime (or data) dir.

The lock is a kernel lock on an open file, not the file's existence: `flock` (POSIX) and
`msvcrt.locking` (Windows) are released by the OS when the holder's last descriptor
closes, which includes a crash or SIGKILL. A lock file left behind by a dead process is
therefore just an unlocked file, and the next start takes it without any PID guessing.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
import sys
from pathlib import Path
from types import TracebackType

from tray_app.adapters.locations import APP, data_dir, private_dir

log = logging.getLogger(__name__)
LOCK_NAME = "token-monitor.lock"


class UnsafeLockFile(OSError):
    """The lock path is a symlink, a hard link, not a regular file or not ours: not touched."""


def is_private_dir(path: Path) -> bool:
    """A real directory (not a symlink) owned by this user that no one else can write to."""
    if sys.platform == "win32":
        return path.is_dir()  # per-user profile folders; no POSIX owner or mode bits
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid() and not st.st_mode & 0o022


def lock_path() -> Path:
    """`$XDG_RUNTIME_DIR/token-monitor/…` where that is private, else the data dir."""
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    # Only a runtime dir that is really ours: in a shared or world-writable one (a /tmp
    # fallback, a misconfigured container) other users could squat or plant the name.
    if sys.platform.startswith("linux") and runtime and is_private_dir(Path(runtime)):
        directory = Path(runtime) / APP
        try:
            if is_private_dir(private_dir(directory)):
                return directory / LOCK_NAME
            log.info("lock dir %s is not private; using the data dir", directory)
        except OSError as exc:  # e.g. a file in the way
            log.debug("lock dir %s unusable: %s", directory, exc)
    elif runtime:
        log.info("XDG_RUNTIME_DIR %s is not private to this user; using the data dir", runtime)
    directory = data_dir()
    try:
        private_dir(directory)
    except OSError as exc:  # acquire() reports what is wrong when it opens the file
        log.debug("data dir %s unusable: %s", directory, exc)
    return directory / LOCK_NAME


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


# O_NOFOLLOW: a symlink planted at the lock path is refused, not followed (ELOOP);
# O_NONBLOCK: a FIFO planted there cannot hang the open; O_CLOEXEC: no child inherits it.
OPEN_FLAGS = (
    os.O_RDWR
    | os.O_CREAT
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


def _open_lock_file(target: Path) -> int:
    """Open (or create) the lock file; refuse anything but our own plain file."""
    try:
        fd = os.open(target, OPEN_FLAGS, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP or os.path.islink(target):
            raise UnsafeLockFile(
                exc.errno or errno.ELOOP,
                "the lock path is a symlink; not following it",
                str(target),
            ) from exc
        raise
    if sys.platform == "win32":
        return fd
    # Checked on the open descriptor, so nothing can be swapped in after the check.
    st = os.fstat(fd)
    problem = None
    if not stat.S_ISREG(st.st_mode):
        problem = "the lock path is not a regular file"
    elif st.st_uid != os.geteuid():
        problem = "the lock file belongs to another user"
    elif st.st_nlink != 1:
        problem = "the lock file has other hard links"
    if problem is not None:
        os.close(fd)
        raise UnsafeLockFile(errno.EPERM, f"{problem}; not touching it", str(target))
    return fd


def acquire(path: Path | None = None) -> InstanceLock | None:
    """Lock `path` (default `lock_path()`); None when another instance holds it.

    Raises `UnsafeLockFile` (leaving the file as it is) when the path is a symlink, a hard
    link, not a regular file or another user's: only then could truncating it harm a file.
    """
    target = path or lock_path()
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = _open_lock_file(target)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)  # ours for sure now (see _open_lock_file)
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
