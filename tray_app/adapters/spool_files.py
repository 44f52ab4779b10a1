"""Small private files shared by the status-line command and the app (standard library only).

The status line runs on every Claude Code update and must start fast: this module imports
nothing heavier than `json` and `os` (no platformdirs, no dataclasses, no SQLite).
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
from collections.abc import Mapping

# Not typing.TYPE_CHECKING: importing typing costs ~2 ms (mypy knows this name).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

APP = "token-monitor"
SPOOL = "rate-limits.jsonl"  # one record per status-line call (append-only)
SPOOL_OLD = "rate-limits.old.jsonl"  # the previous spool after a rotation
STATE = "statusline-state.json"  # the app's latest figures for the status line
SETUP = "statusline.json"  # what `statusline install` set up (previous command, options)
MAX_RECORD = 4096  # bytes; one small write is appended in one piece
SPOOL_MAX = 1024 * 1024  # bytes; the status line rotates the spool itself past this
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
# Never wait on a FIFO or device that sits where one of our files should be.
_SAFE = _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def open_own(path: str, flags: int, mode: int = 0o600) -> int:
    """Open one of our files: a regular file owned by us (the folder may be shared, e.g. /tmp).

    Another user's file is refused: its `previous` command would otherwise be run.
    """
    fd = os.open(path, flags | _SAFE, mode)
    try:
        info = os.fstat(fd)
        theirs = hasattr(os, "geteuid") and info.st_uid != os.geteuid()
        if not stat.S_ISREG(info.st_mode) or theirs:
            raise OSError(f"not our regular file: {path}")
    except BaseException:
        os.close(fd)
        raise
    return fd


def data_dir(env: Mapping[str, str]) -> str:
    """Our private data dir: beside `TOKEN_MONITOR_DB` when set, else the platform's.

    The same folder as platformdirs' user_data_dir (a test checks it), without its import.
    """
    db = env.get("TOKEN_MONITOR_DB")
    if db:
        path = os.path.abspath(os.path.expanduser(db))
        if not os.path.isdir(path):  # a folder there is refused as a ledger: not beside it
            return os.path.dirname(path)
    home = os.path.expanduser("~")
    if sys.platform == "win32":
        base = env.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")
        return os.path.join(base, APP)
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Application Support", APP)
    base = env.get("XDG_DATA_HOME", "").strip() or os.path.join(home, ".local", "share")
    return os.path.join(base, APP)


def _private_dir(folder: str) -> None:
    if not os.path.isdir(folder):
        os.makedirs(folder, mode=0o700, exist_ok=True)


def append_record(folder: str, record: Mapping[str, Any]) -> bool:
    """Append one JSON line to the spool (0600); False when it is too big or cannot be written."""
    line = (json.dumps(record, separators=(",", ":"), ensure_ascii=True) + "\n").encode()
    if len(line) > MAX_RECORD:
        return False
    try:
        _private_dir(folder)
        fd = open_own(os.path.join(folder, SPOOL), os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            # One write() of < 4 KiB with O_APPEND: concurrent status lines never interleave.
            written = os.write(fd, line) == len(line)
            if os.fstat(fd).st_size > SPOOL_MAX:
                # Without the app nobody rotates it: keep the newest records, bounded.
                os.replace(os.path.join(folder, SPOOL), os.path.join(folder, SPOOL_OLD))
            return written
        finally:
            os.close(fd)
    except OSError:
        return False


def write_json(path: str, obj: object) -> None:
    """Replace `path` atomically with `obj` as JSON, private to the user (0600)."""
    folder = os.path.dirname(path)
    _private_dir(folder)
    # A fresh name made with O_EXCL: a file planted at a guessable name is never written.
    tmp = f"{path}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(obj, out, ensure_ascii=True)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_json(path: str, limit: int = 65536) -> Any:
    """A small JSON file's content, or None when missing, too big or not JSON."""
    try:
        with os.fdopen(open_own(path, os.O_RDONLY), "rb") as f:
            data = f.read(limit + 1)
    except OSError:
        return None
    if len(data) > limit:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None
