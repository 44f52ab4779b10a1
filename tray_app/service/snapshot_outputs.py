"""What each published snapshot feeds besides subscribers: alerts and the status-line state."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, tzinfo

from tray_app.adapters.spool_files import STATE, write_json
from tray_app.service.official_view import statusline_state
from tray_app.service.snapshot import Snapshot
from tray_app.usage.alerts import (
    Alert,
    AlertMemory,
    AlertRules,
    BlockState,
    alerts_for_catch_up,
    check_alerts,
)
from tray_app.usage.window_alerts import weekly_alerts

log = logging.getLogger(__name__)


def snapshot_alerts(
    memory: AlertMemory,
    snapshot: Snapshot,
    caught_up: bool,
    rules: AlertRules,
    tz: tzinfo | None,
) -> list[Alert]:
    """The alerts a snapshot raises (recorded in `memory` first, so none ever repeats)."""
    b = snapshot.active_block
    state = None
    if b is not None:
        state = BlockState(b.block.start, b.resets_at, b.block.tokens, b.percent,
                           b.limit_tokens, b.limit_source, b.projected_tokens)  # fmt: skip
    # Until the start-up catch-up is done, only the highest crossed threshold may speak.
    decide = check_alerts if caught_up else alerts_for_catch_up
    fired = decide(memory, state, snapshot.published_at, rules, tz or UTC)
    return fired + weekly_alerts(memory, snapshot.limits, snapshot.published_at, rules, tz or UTC)


class StateFileWriter:
    """The status line's copy of the latest figures: small, atomic and rate-limited."""

    def __init__(
        self, folder: str, min_gap: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.folder, self.min_gap, self._clock = folder, min_gap, clock
        self._written = float("-inf")  # monotonic time of the last write
        self.pending: Snapshot | None = None  # skipped by the rate limit, still due

    def write(self, snapshot: Snapshot) -> None:
        """Write now, or keep it for `write_pending` when the last write was too recent."""
        if self._clock() - self._written < self.min_gap:
            self.pending = snapshot  # written on a later pass: the newest must land
            return
        self._written, self.pending = self._clock(), None
        try:
            write_json(f"{self.folder}/{STATE}", statusline_state(snapshot))
        except OSError as exc:
            log.warning("cannot write the status-line state: %s", exc)

    def write_pending(self) -> None:
        """Write the snapshot the rate limit held back, if any."""
        if self.pending is not None:
            self.write(self.pending)
