"""Read a small file the user (or a cloned repository) controls, without hanging on it.

A FIFO, a device or a symlink to `/dev/zero` in place of config.yaml, a settings.json or
a profiles file made `path.read_bytes()` wait forever or fill memory.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def read_small(path: Path, limit: int) -> bytes:
    """The whole file (symlinks followed); OSError for a non-regular file or one over `limit`.

    FileNotFoundError passes through unchanged, so callers can tell "missing" apart.
    """
    fd = os.open(path, _FLAGS)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise OSError(errno.EFBIG, f"larger than {limit:,} bytes", str(path))
    return data
