"""An in-memory `AlertMemory` for tests (the app keeps fired alerts in the ledger)."""

from __future__ import annotations


class MemoryAlertLog:
    """Which (block, kind) alerts were handled, in a dict; `records` for assertions."""

    def __init__(self) -> None:
        self.records: dict[tuple[float, str], float] = {}

    def fired(self, block_start: float, kind: str) -> bool:
        """True once `record` was called for this block and kind."""
        return (block_start, kind) in self.records

    def record(self, block_start: float, kind: str, at: float) -> None:
        """Remember the first time only, as the ledger does: later calls keep the date."""
        self.records.setdefault((block_start, kind), at)
