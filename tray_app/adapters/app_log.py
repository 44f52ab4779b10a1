"""The app's rotating log file (private to the user)."""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

from tray_app.adapters.locations import log_dir, private_dir


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Rotated files are created 0600 too (the default follows the umask)."""

    def _open(self):  # type: ignore[no-untyped-def]
        stream = super()._open()
        os.chmod(self.baseFilename, 0o600)
        return stream


def setup_logging(level: str = "INFO", directory: Path | None = None) -> Path:
    """Log to `token-monitor.log` (1 MB × 3, 0600) and to stderr for warnings."""
    folder = private_dir(directory or log_dir())
    path = folder / "token-monitor.log"
    handler = PrivateRotatingFileHandler(path, maxBytes=1 << 20, backupCount=3, encoding="utf-8")
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    )
    handlers: list[logging.Handler] = [handler]
    if sys.stderr is not None:  # a windowed Windows build has no stderr
        console = logging.StreamHandler()
        console.setLevel(logging.WARNING)
        console.setFormatter(logging.Formatter("token-monitor: %(levelname)s: %(message)s"))
        handlers.append(console)
    root = logging.getLogger()
    root.handlers[:] = handlers
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    return path
