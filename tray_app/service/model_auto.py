"""Auto-switch in the running app: snapshots in, at most one model change per check out."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import tzinfo
from pathlib import Path

from tray_app.adapters import model_history, model_store
from tray_app.adapters.claude_settings import SettingsError
from tray_app.adapters.config import Settings
from tray_app.adapters.model_history import ModelChange
from tray_app.service.snapshot import Snapshot
from tray_app.usage.model_select import Choice, all_profiles
from tray_app.usage.model_switch import (
    Decision,
    LastChange,
    SwitchInput,
    SwitchRule,
    WindowReading,
    decide,
)

log = logging.getLogger(__name__)
CHECK_SECONDS = 30.0  # snapshots come far more often; limits move slowly
_UNSEEN = object()


def rule_for(settings: Settings) -> SwitchRule:
    """The rule from the config: its switch target is the `balanced` profile."""
    target = all_profiles(settings.model_profiles)["balanced"]
    base = SwitchRule()
    return SwitchRule(
        settings.auto_switch,
        float(settings.auto_switch_percent),
        target,
        economical=base.economical | {target},
    )


def switch_input(snapshot: Snapshot, current: str | None, now: float) -> SwitchInput:
    """The rule's view of a snapshot: each limit window's %, and the 5-hour projection."""
    # A guessed limit (max or p90 of past blocks) is no limit at all: only Claude Code's own
    # figure or a number the user set may move their model.
    windows = [
        WindowReading(x.window, x.percent_now, x.resets_at)
        for x in snapshot.limits
        if x.source.trusted
    ]
    b = snapshot.active_block
    over = False
    resets = None
    if b is not None and b.limit_source.trusted:
        resets = b.resets_at
        if not any(w.window == "five_hour" and w.percent is not None for w in windows):
            windows.append(WindowReading("five_hour", b.percent, b.resets_at))
        over = bool(b.limit_tokens and b.projected_tokens and b.projected_tokens >= b.limit_tokens)
    return SwitchInput(now, windows, current, over, resets)


def _figures(snapshot: Snapshot, now: float) -> object:
    """What the rule would see of a snapshot, to notice when it changes."""
    inp = switch_input(snapshot, None, now)
    windows = tuple((w.window, w.percent and round(w.percent), w.resets_at) for w in inp.windows)
    return windows, inp.projected_over


def notice(d: Decision) -> tuple[str, str]:
    """The desktop notification for a switch: what changed and why."""
    new = d.value or "Claude Code's default"
    old = d.old or "Claude Code's default"
    verb = "Switched back" if d.kind == "restore" else "Switched"
    body = f"{verb} from {old} to {new}: {d.reason}. Running sessions keep their model."
    return f"New Claude Code sessions: {new}", body


class ModelAutoSwitch:
    """Checks each snapshot (throttled, on its own thread) and applies the rule's decision."""

    def __init__(
        self,
        settings: Callable[[], Settings],
        env: Mapping[str, str],
        ledger: Path,
        notify: Callable[[str, str], object],
        tz: tzinfo | None = None,
        clock: Callable[[], float] = time.time,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.settings = settings
        self.env = env
        self.ledger = ledger
        self.notify = notify
        self.tz = tz
        self.clock = clock
        self.on_change = on_change  # e.g. the tray menu shows the new choice
        self._next = 0.0
        self._seen: object = None  # the limit figures of the last check
        self._shown: object = _UNSEEN  # the user's model value at the last check
        self._lock = threading.Lock()
        self._running = False
        self._pending: Snapshot | None = None  # arrived while a check was running
        self._warned: str | None = None

    def on_snapshot(self, snapshot: Snapshot) -> None:
        """Subscriber for the aggregator: never blocks it (the check runs on a thread)."""
        now = self.clock()
        figures = _figures(snapshot, now)
        with self._lock:
            # New limit figures (a capture arrived) are checked at once; the same figures
            # only every CHECK_SECONDS, for what time alone changes (a reset, an edited file).
            if figures == self._seen and now < self._next:
                return
            if self._running:
                self._pending = snapshot  # looked at as soon as the running check ends
                return
            self._running = True
            self._seen, self._next = figures, now + CHECK_SECONDS
        threading.Thread(
            target=self._work, args=(snapshot,), name="tm-model-auto", daemon=True
        ).start()

    def _work(self, first: Snapshot) -> None:
        snapshot: Snapshot | None = first
        while snapshot is not None:
            try:
                self.check(snapshot)
            except Exception:
                log.exception("auto-switch check failed")
            with self._lock:
                snapshot, self._pending = self._pending, None
                if snapshot is None:
                    self._running = False
                else:
                    now = self.clock()
                    self._seen, self._next = _figures(snapshot, now), now + CHECK_SECONDS

    def check(self, snapshot: Snapshot) -> Decision:
        """Decide and apply one step now; returns what was decided."""
        settings = self.settings()
        change = model_history.last(self.ledger)
        last = (
            None
            if change is None
            else LastChange(change.kind, change.old, change.new, change.until)
        )
        try:
            current = model_store.user_model(self.env)
        except SettingsError as exc:
            self._warn_once(str(exc))
            return Decision("none")
        if current != self._shown:
            if self._shown is not _UNSEEN:
                self.on_change()  # changed by the CLI, Claude Code or an editor: show it
            self._shown = current
        if not settings.auto_switch and (last is None or last.kind != "auto"):
            return Decision("none")  # off, and no switch of ours to watch over
        now = self.clock()
        d = decide(rule_for(settings), last, switch_input(snapshot, current, now), self.tz)
        if d.kind == "manual":
            record = ModelChange(now, "manual", d.old, d.value, d.reason, d.until, "file")
            model_history.record(self.ledger, record)
            self.on_change()
        elif d.kind in ("auto", "restore"):
            try:
                model_store.apply(Choice(d.value), self.env, self.ledger, now, kind=d.kind,
                                  source="auto", reason=d.reason, until=d.until)  # fmt: skip
            except SettingsError as exc:
                self._warn_once(str(exc))
                return Decision("none")
            log.info("auto-switch: %s -> %s (%s)", d.old, d.value, d.reason)
            self._shown = d.value
            self.on_change()
            if settings.notifications:
                self.notify(*notice(d))
        return d

    def _warn_once(self, message: str) -> None:
        if message != self._warned:
            self._warned = message
            log.warning("auto-switch left the model alone: %s", message)
