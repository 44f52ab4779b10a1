"""Read the status line's spool into official windows (incrementally; rotated when large)."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable, Mapping
from typing import Any

from tray_app.adapters.spool_files import SPOOL, SPOOL_OLD, append_record, open_own
from tray_app.usage.official_limits import OfficialWindow, latest, parse_rate_limits

log = logging.getLogger(__name__)
ROTATE_AT = 256 * 1024  # bytes; the newest figures are always in the last few records
TAIL = 2 * 1024 * 1024  # bytes read at most from a spool (a reader that starts late)


def record_for(
    rate_limits: object, captured_at: float, origin: str, session_id: str = "", model: str = ""
) -> dict[str, Any]:
    """The spool record for one capture (the status line writes the same shape)."""
    return {"t": captured_at, "o": origin, "sid": session_id, "model": model, "rl": rate_limits}


def windows_of(record: object) -> list[OfficialWindow]:
    """The windows one decoded spool record holds; anything malformed gives none."""
    if not isinstance(record, dict):
        return []
    t = record.get("t")
    if not isinstance(t, int | float) or isinstance(t, bool) or not 0 < t < 1e11:
        return []
    sid, model, origin = record.get("sid"), record.get("model"), record.get("o")
    windows = parse_rate_limits(
        record.get("rl"),
        float(t),
        sid[:100] if isinstance(sid, str) else "",
        model[:100] if isinstance(model, str) else "",
    )
    if isinstance(origin, str) and origin in ("usage_api", "message"):
        windows = [
            OfficialWindow(w.name, w.percent, w.resets_at, w.captured_at, origin, w.session_id,
                           w.model)
            for w in windows
        ]  # fmt: skip
    return windows


def _lines(data: bytes) -> Iterable[object]:
    for raw in data.split(b"\n"):
        if not raw.strip():
            continue
        try:
            yield json.loads(raw)
        except ValueError:
            continue  # a torn or foreign line: skipped, the next capture replaces it


class CaptureStore:
    """The newest capture of each window, kept current by reading only appended bytes."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.captures: dict[str, OfficialWindow] = {}
        self._inode: int | None = None
        self._offset = 0

    @property
    def spool(self) -> str:
        """The spool file the status line appends to."""
        return os.path.join(self.folder, SPOOL)

    def _read(self, path: str, offset: int) -> tuple[bytes, int]:
        try:
            with os.fdopen(open_own(path, os.O_RDONLY), "rb") as f:  # a FIFO hung every reader
                size = os.fstat(f.fileno()).st_size
                start = max(offset, size - TAIL)  # only the newest records matter
                f.seek(start)
                data = f.read(size - start)
        except OSError:
            return b"", offset
        if start > offset:
            data = data[data.find(b"\n") + 1 :]  # skip the cut line
            offset = start + (size - start - len(data))
        end = data.rfind(b"\n") + 1  # a half-written last line waits for its newline
        return data[:end], offset + end

    def refresh(self, rotate: bool = False) -> bool:
        """Take in new records; True when a window changed. `rotate`: the app keeps it small."""
        try:
            st = os.stat(self.spool)
        except OSError:
            st = None
        inode = None if st is None else st.st_ino
        if st is not None and inode == self._inode and st.st_size == self._offset:
            return False
        before = dict(self.captures)
        if inode != self._inode or (st is not None and st.st_size < self._offset):
            # New or rotated spool: the old one may hold the newest figure of a window.
            data, _ = self._read(os.path.join(self.folder, SPOOL_OLD), 0)
            self._merge(data)
            self._inode, self._offset = inode, 0
        if st is not None:
            data, self._offset = self._read(self.spool, self._offset)
            self._merge(data)
            if rotate and self._offset >= ROTATE_AT:
                self._rotate()
        return self.captures != before

    def _merge(self, data: bytes) -> None:
        windows = [w for record in _lines(data) for w in windows_of(record)]
        self.captures = latest([*self.captures.values(), *windows])

    def _rotate(self) -> None:
        try:
            os.replace(self.spool, os.path.join(self.folder, SPOOL_OLD))
        except OSError as exc:
            log.warning("cannot rotate the status-line spool: %s", exc)
            return
        self._inode, self._offset = None, 0

    def add(self, rate_limits: Mapping[str, Any], origin: str, at: float | None = None) -> bool:
        """Append a capture from elsewhere (the usage endpoint) to the shared spool."""
        return append_record(self.folder, record_for(rate_limits, at or time.time(), origin))
