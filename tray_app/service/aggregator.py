"""The one aggregator thread: file events in, immutable snapshots out."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import tzinfo
from pathlib import Path

from tray_app.adapters.discovery import Roots
from tray_app.adapters.ledger import Ledger, LedgerError
from tray_app.adapters.rate_capture import CaptureStore
from tray_app.adapters.scanner import Engine
from tray_app.service.live_start import bring_up_to_date
from tray_app.service.live_state import LiveState
from tray_app.service.live_sync import LedgerSync
from tray_app.service.publish import ViewSettings, build_snapshot
from tray_app.service.snapshot import Snapshot
from tray_app.service.snapshot_outputs import StateFileWriter, snapshot_alerts
from tray_app.usage.alerts import AlertRules
from tray_app.usage.dedup import Change
from tray_app.usage.official_limits import with_messages
from tray_app.usage.pricing import PriceTable
from tray_app.usage.text_safety import name_problem

log = logging.getLogger(__name__)

Command = Callable[["UsageService"], None]


@dataclass(frozen=True, slots=True)
class ServiceOptions:
    """Timing knobs (tests shorten them)."""

    tick_seconds: float = 30.0
    coalesce_seconds: float = 0.004  # a response writes several lines within ~1 ms
    flush_seconds: float = 1.0
    flush_batch: int = 2000
    official_poll_seconds: float = 2.0  # how often the status-line spool is checked (a stat)
    state_write_seconds: float = 2.0  # at most this often the status line's state file


def _call_all(callbacks: list[Callable[..., None]], *args: object) -> None:
    for callback in list(callbacks):
        try:
            callback(*args)
        except Exception:
            # A subscriber's bug must never stop the counting.
            log.exception("subscriber %r failed", callback)


class UsageService:
    """Owns the engine, ledger and live state on its own thread; publishes snapshots."""

    def __init__(
        self,
        discover: Callable[[], Roots],
        ledger_path: Path | None,
        prices: PriceTable,
        view: ViewSettings | None = None,
        rules: AlertRules | None = None,
        tz: tzinfo | None = None,
        options: ServiceOptions | None = None,
        clock: Callable[[], float] = time.time,
        capture_dir: str | None = None,
    ) -> None:
        self.discover = discover  # re-run on a rescan: a root may have appeared
        self.roots = discover()
        self.ledger_path = ledger_path
        self.prices = prices
        self.view = view or ViewSettings()
        self.rules = rules or AlertRules()
        self.tz = tz
        self.options = options or ServiceOptions()
        self.clock = clock
        self.latest: Snapshot | None = None  # replaced atomically; read from any thread
        self.error: str | None = None
        self.ledger_error: str | None = None  # the ledger could not be opened (shown)
        self.ledger_notes: tuple[str, ...] = ()  # told once to the user (rebuilt, read-only)
        self._queue: queue.SimpleQueue[Path | Command | None] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._on_snapshot: list[Callable[[Snapshot], None]] = []
        self._on_response: list[Callable[[Change], None]] = []
        self._on_alert: list[Callable[..., None]] = []
        self._thread = threading.Thread(target=self._run, name="tm-aggregator", daemon=True)
        self._engine: Engine | None = None
        self._ledger: Ledger | None = None
        self._names: dict[str, str] = {}
        self._state = LiveState(prices.cost)
        self._sync: LedgerSync | None = None  # set at start-up, with the engine
        self._caught_up = False
        self.ready = threading.Event()  # set after the first catch-up scan
        # Claude Code's official figures, from the spool `token-monitor statusline` fills.
        self.captures = CaptureStore(capture_dir) if capture_dir else None
        self._state_file = (
            None
            if self.captures is None
            else StateFileWriter(self.captures.folder, self.options.state_write_seconds)
        )

    # -- any thread -------------------------------------------------------------------

    def subscribe(self, on_snapshot: Callable[[Snapshot], None]) -> None:
        """Call `on_snapshot` (on the aggregator thread) with each published snapshot."""
        self._on_snapshot.append(on_snapshot)

    def on_response(self, callback: Callable[[Change], None]) -> None:
        """Call `callback` for each new or replaced response."""
        self._on_response.append(callback)

    def on_alert(self, callback: Callable[..., None]) -> None:
        """Call `callback(alert)` for each alert that should be shown."""
        self._on_alert.append(callback)

    def notify(self, path: Path | None) -> None:
        """A file changed (None: rescan everything). Cheap: only enqueues."""
        self._queue.put(path)

    def submit(self, command: Command) -> None:
        """Run `command(service)` on the aggregator thread (settings, names)."""
        self._queue.put(command)

    def start(self) -> None:
        """Start the aggregator thread."""
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop, flush the ledger and join the thread."""
        self._stop.set()
        self._queue.put(_wake)
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        """Whether the aggregator thread runs."""
        return self._thread.is_alive()

    # -- aggregator thread ------------------------------------------------------------

    def set_view(self, **changes: object) -> None:
        """Change limit mode/tokens or the tracked session (aggregator thread)."""
        self.view = replace(self.view, **changes)  # type: ignore[arg-type]

    def rename(self, session_id: str, name: str) -> str | None:
        """Store a session name in the ledger (aggregator thread); why it was refused, or None."""
        problem = name_problem(name, session_id, self._names, self._state.sessions)
        if problem is not None:  # control chars, too long, a duplicate or an id look-alike
            log.warning("rename refused: %s", problem)
            return problem
        if self._ledger is not None:
            self._ledger.name_session(session_id, name.strip())
        if name.strip():
            self._names[session_id] = name.strip()
        else:
            self._names.pop(session_id, None)
        return None

    def _run(self) -> None:
        try:
            self._start_up()
            self._loop()
        except Exception as exc:
            log.exception("aggregator failed")
            self.error = f"usage engine failed: {exc}"
            self._publish()
        finally:
            if self._engine is not None:
                try:
                    self._engine.flush()
                except Exception:
                    log.exception("final ledger flush failed")
            if self._ledger is not None:
                self._ledger.close()

    def _start_up(self) -> None:
        if self.ledger_path is not None:
            try:
                self._ledger = Ledger.open(self.ledger_path)
            except LedgerError as exc:
                # Refused, locked or full: count in memory only, and keep saying why.
                log.error("%s", exc)
                self.ledger_error = f"ledger not used: {exc}"
            else:
                for note in self._ledger.notes:  # rebuilt, empty or read-only
                    log.warning("%s", note)
                self.ledger_notes = tuple(self._ledger.notes)  # before the first snapshot
        self._reload_names()
        self._engine = Engine(self.roots, self._ledger)
        if not self.roots.dirs and self.roots.missing:
            self.error = "; ".join(self.roots.warnings)
        # First snapshot straight from the ledger, then catch up on what changed meanwhile.
        self._sync = LedgerSync(self._state, self._engine, self._ledger, self.prices)
        self._sync.start(self.clock())
        if self.captures is not None:
            self.captures.refresh(rotate=True)  # the first snapshot shows official figures too
        self._publish()
        self._scan(None)
        self._engine.flush()
        # The aggregates take in what the catch-up wrote: the next start reads them.
        bring_up_to_date(self._engine, self._ledger, self.prices, self.clock())
        self._caught_up = True
        self.ready.set()

    def _loop(self) -> None:
        opts = self.options
        next_tick = time.monotonic() + opts.tick_seconds
        next_flush = float("inf")  # set while changes wait to be written
        next_official = time.monotonic()
        while not self._stop.is_set():
            wake_at = min(next_tick, next_flush, next_official)
            try:
                item = self._queue.get(timeout=max(0.0, wake_at - time.monotonic()))
            except queue.Empty:
                item = _wake
            batch = [item]
            if item is not _wake:
                deadline = time.monotonic() + opts.coalesce_seconds
                while (left := deadline - time.monotonic()) > 0:
                    try:
                        batch.append(self._queue.get(timeout=left))
                    except queue.Empty:
                        break
                self._guarded(self._handle, batch)
            if self.captures is not None and time.monotonic() >= next_official:
                next_official = time.monotonic() + opts.official_poll_seconds
                if self.captures.refresh(rotate=True):
                    self._publish()  # a new official figure: show it now, not at the tick
                elif self._state_file is not None:
                    self._state_file.write_pending()
            if time.monotonic() >= next_tick:
                # Time alone changes things: a block expires, the countdown moves. Names
                # given meanwhile with `token-monitor name` show up too.
                self._guarded(self._reload_names)
                # Another process's writes show up without a file event too.
                self._guarded(self._tick_others)
                self._state.tick(self.clock())
                self._publish()
                next_tick = time.monotonic() + opts.tick_seconds
            engine = self._engine
            assert engine is not None
            pending = engine.unflushed
            if not pending:
                next_flush = float("inf")
            elif pending >= opts.flush_batch or time.monotonic() >= next_flush:
                # A failed write keeps the batch pending; it is tried again later.
                flushed = self._guarded(engine.flush)
                next_flush = float("inf") if flushed else time.monotonic() + 10 * opts.flush_seconds
            elif next_flush == float("inf"):
                next_flush = time.monotonic() + opts.flush_seconds

    def _reload_names(self) -> None:
        if self._ledger is not None:
            self._names = {s: m.name for s, m in self._ledger.sessions().items() if m.name}

    def _guarded(self, work: Callable[..., None], *args: object) -> bool:
        """Run one step; a failure is logged and shown, and the thread keeps counting."""
        try:
            work(*args)
        except Exception as exc:
            log.exception("usage engine step failed")
            self.error = f"usage engine error: {exc}"
            self._publish()
            return False
        if self.error and self.error.startswith("usage engine error"):
            self.error = None  # recovered (e.g. the disk has room again)
        return True

    def _handle(self, batch: list[Path | Command | None]) -> None:
        paths: set[Path] = set()
        rescan = False
        republish = False
        for item in batch:
            if item is _wake:
                continue
            if item is None:
                rescan = True
            elif isinstance(item, Path):
                paths.add(item)
            else:
                try:
                    item(self)
                except Exception:
                    log.exception("command failed")
                republish = True
        if rescan:
            self._scan(None)
        elif paths:
            self._scan(sorted(paths))
        elif republish:
            self._publish()

    def _scan(self, paths: list[Path] | None) -> None:
        engine = self._engine
        assert engine is not None
        if paths is None:
            engine.roots = self.roots = self.discover()
            if self.roots.dirs:
                self.error = None
        limits_before = len(engine.limits)  # a weekly/Opus limit message: shown at once
        result = engine.refresh(paths, persist=False)
        now = self.clock()
        changed = bool(result.changes or result.resets)
        if self._sync_others(now):
            changed = True  # the new state holds this scan's changes too (flushed first)
        elif changed:
            assert self._sync is not None
            self._state.apply(result.changes, result.resets, now, self._sync.history)
        # Most file events are lines without usage (hooks, tool results): nothing to show.
        if changed or paths is None or len(engine.limits) != limits_before:
            self._publish()
        for change in result.changes:
            _call_all(self._on_response, change)

    def _sync_others(self, now: float) -> bool:
        """Restart the live state from the ledger if another process wrote to it."""
        return self._sync is not None and self._sync.restart_if_others_wrote(now)

    def _tick_others(self) -> None:
        """The tick's look at others' writes."""
        self._sync_others(self.clock())

    def _publish(self) -> None:
        engine = self._engine
        projects = engine.projects if engine is not None else {}
        now = self.clock()
        captures = None if self.captures is None else self.captures.captures
        if engine is not None:  # limit messages in transcripts are official figures too
            notices = [*engine.resets, *engine.limits]
            captures = with_messages(captures or {}, notices, now, self.view.official_max_age)
        snapshot = build_snapshot(
            self._state,
            now,
            self.view,
            self._names,
            projects,
            self.error or self.ledger_error,
            captures,
        )
        self.latest = snapshot
        _call_all(self._on_snapshot, snapshot)
        self._alerts(snapshot)
        if self._state_file is not None:
            self._state_file.write(snapshot)

    def _alerts(self, snapshot: Snapshot) -> None:
        if self._ledger is not None and self._on_alert:
            alerts = snapshot_alerts(self._ledger, snapshot, self._caught_up, self.rules, self.tz)
            for alert in alerts:
                _call_all(self._on_alert, alert)


def _wake(_: UsageService) -> None:
    """A no-op command that wakes the loop (stop, tick)."""
