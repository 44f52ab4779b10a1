"""Tell the user once what opening the ledger found (rebuilt, read-only, started empty).

The CLI prints these notes as warnings; the tray has no terminal, so without this they
would only reach the log file.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from tray_app.service.snapshot import Snapshot

log = logging.getLogger(__name__)

TITLE = "Token Monitor: ledger"


class LedgerNotice:
    """On the first snapshot, one desktop notification with the ledger's notes, if any."""

    def __init__(
        self, notes: Callable[[], Sequence[str]], send: Callable[[str, str], object]
    ) -> None:
        self._notes = notes
        self._send = send
        self._told = threading.Event()

    def on_snapshot(self, snapshot: Snapshot) -> None:
        """Subscribe this to the service: the notes are known before its first snapshot."""
        if self._told.is_set():
            return
        self._told.set()
        notes = [note for note in self._notes() if note.strip()]
        if not notes:
            return
        # `send` is Notifier.post: it only queues (this runs on the aggregator's thread).
        # The notifier cleans the text (a path in a note may hold control characters).
        self._send(TITLE, "\n".join(notes))
