"""Load what a command reports on: settings, prices, the engine (ledger or files)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import tzinfo
from math import inf, nextafter
from pathlib import Path
from typing import TYPE_CHECKING

from tray_app.adapters import early_listing
from tray_app.adapters.config import Settings, load_settings
from tray_app.adapters.discovery import find_roots
from tray_app.adapters.ledger import Ledger, LedgerError, SessionMeta
from tray_app.adapters.locations import db_file
from tray_app.adapters.prices import load_price_table
from tray_app.adapters.scanner import Engine, ScanStats
from tray_app.cli.data_dirs import data_dir_problems
from tray_app.cli.environment import CliError, Environment, ExitStatus
from tray_app.cli.time_args import local_tz, parse_when, window_label
from tray_app.usage.model import Entry, ResetNotice

if TYPE_CHECKING:  # what only some reports use is imported on use (start-up cost)
    from tray_app.adapters.block_cache import BlockCache
    from tray_app.adapters.usage_rollup import Rollup
    from tray_app.usage.blocks import Block
    from tray_app.usage.model_activity import Activity
    from tray_app.usage.pricing import PriceTable
    from tray_app.usage.rollup import Part


@dataclass
class Dataset:
    """Counted responses and everything needed to report on them."""

    engine: Engine
    window: tuple[float, float]  # --since/--until/--now as [lo, hi)
    resets: list[ResetNotice]
    sessions: dict[str, SessionMeta]
    projects: dict[str, str]
    prices: PriceTable
    settings: Settings
    stats: ScanStats
    tz: tzinfo
    ledger: Ledger | None

    # --now pins the clock: history is what had happened by then (tests, replays).
    horizon: float = inf
    label: str = "All time"  # what the window covers, e.g. "2026-11-01 – 2026-11-20"
    _costs: dict[str, float | None] = field(default_factory=dict)
    _entries: list[Entry] | None = None
    _history: list[Entry] | None = None
    _parts: list[Part] | None = None
    _merged: dict[str, list[Part]] = field(default_factory=dict)
    _rolled: tuple[Rollup | None] | None = None  # the rollup once asked (None inside: no)
    _names: dict[str, str] | None = None

    @property
    def filtered(self) -> bool:
        """Whether --since/--until narrow the report (a pinned clock alone does not)."""
        return self.window != (-inf, self.horizon)

    @property
    def history(self) -> list[Entry]:
        """Every counted response up to the clock: limits and 'now' figures come from it."""
        if self._history is None:
            every = self.engine.entries
            hi = self.horizon
            self._history = list(every) if hi == inf else [e for e in every if e.timestamp < hi]
        return self._history

    @property
    def entries(self) -> list[Entry]:
        """The counted responses in the window (loaded on first use: `status` may not)."""
        if self._entries is None:
            lo, hi = self.window
            every = self.history
            self._entries = [e for e in every if lo <= e.timestamp < hi] if self.filtered else (
                every
            )  # fmt: skip
        return self._entries

    @property
    def parts(self) -> list[Part]:
        """The window's usage per quarter-hour, session and model: O(result) from the ledger."""
        if self._parts is None:
            from tray_app.usage.rollup import parts_of

            lo, hi = self.window
            rollup = self._rollup()
            self._parts = (
                rollup.parts(lo, hi) if rollup is not None else parts_of(self.entries, self.cost)
            )
        return self._parts

    def block_cache(self) -> BlockCache | None:
        """The ledger's cache of finished blocks, when it answers for this report."""
        if self.ledger is None or self.horizon != inf:
            return None  # a pinned clock must not see responses after it
        from tray_app.adapters.block_cache import BlockCache

        engine = self.engine
        return BlockCache(
            self.ledger, self.prices, self.cost, None, engine.root_ids, engine.outside
        )  # fmt: skip

    def all_blocks(self, now: float) -> list[Block]:
        """Every block (with gaps) up to the clock: the block cache when it can say."""
        cache = self.block_cache()
        cached = None if cache is None else cache.blocks(now, self.resets)
        from tray_app.usage.blocks import build_blocks, with_gaps

        if cached is not None:
            return with_gaps(cached)
        return build_blocks(self.history, now, self.cost, self.resets)

    def _rollup(self) -> Rollup | None:
        """The ledger's rollup when it answers for exactly these roots (else None)."""
        if self._rolled is None:
            rollup = None
            if self.ledger is not None and not self.engine.outside:
                from tray_app.adapters.usage_rollup import Rollup

                # (Responses of other roots share the ledger: those reports count the list.)
                rollup = Rollup(self.ledger, self.prices, self.prices.cost)
                rollup = rollup if rollup.update() else None
            self._rolled = (rollup,)
        return self._rolled[0]

    def _narrow(self) -> Ledger | None:
        """The ledger when narrow queries answer for this report (else count the list)."""
        return self.ledger if self._rollup() is not None else None

    def merged(self, by: str) -> list[Part]:
        """The window's parts summed by SQLite per model (`by="model"`) or session and model."""
        rollup = self._rollup()
        if rollup is None:
            return self.parts
        got = self._merged.get(by)
        if got is None:
            from tray_app.adapters import rollup_queries

            lo, hi = self.window
            got = self._merged[by] = rollup_queries.merged_parts(rollup, lo, hi, by)
        return got

    def by_session(self) -> list[Part]:
        """The window's usage per session and model, for questions about which sessions and
        models there are: the quarter-hour parts if loaded already, else SQLite's sums."""
        return self._parts if self._parts is not None else self.merged("session")

    def day_parts(self) -> list[Part]:
        """The window's parts summed per local day and model (days, weeks, months)."""
        from tray_app.adapters import rollup_queries

        rollup = self._rollup()
        lo, hi = self.window
        got = None if rollup is None else rollup_queries.day_parts(rollup, lo, hi, self.tz)
        return self.parts if got is None else got

    @property
    def session_ids(self) -> set[str]:
        """Sessions with responses in the window."""
        return {p.session_id for p in self.merged("session")}

    def session_entries(self, sessions: set[str]) -> list[Entry]:
        """The window's responses of these sessions: only their quarter-hours are read."""
        rollup = self._rollup()
        if rollup is None:
            return [e for e in self.entries if e.session_id in sessions]
        from tray_app.adapters import response_queries, rollup_queries

        lo, hi = self.window
        quarters = rollup_queries.session_quarters(rollup, sorted(sessions), lo, hi)
        return response_queries.session_responses(rollup.ledger, sessions, quarters, lo, hi)

    def activity(self) -> list[Activity]:
        """Per quarter-hour and model busy time of the window (models' average rates)."""
        from tray_app.adapters import model_activity
        from tray_app.usage.model_activity import activity_of, stamps_of

        ledger = self._narrow()
        if ledger is None or not model_activity.update(ledger):
            return activity_of(stamps_of(self.entries))
        lo, hi = self.window
        return model_activity.window_activity(ledger, lo, hi)

    def between(self, lo: float, hi: float) -> list[Entry]:
        """The window's responses with lo <= ts < hi (a short span: e.g. the last minute)."""
        w_lo, w_hi = self.window
        return self.history_between(max(lo, w_lo), min(hi, w_hi))

    def history_between(self, lo: float, hi: float) -> list[Entry]:
        """Responses up to the clock with lo <= ts < hi, whatever the window (e.g. today)."""
        hi = min(hi, self.horizon)
        if not lo < hi:
            return []
        ledger = self._narrow()
        if ledger is None:
            return [e for e in self.history if lo <= e.timestamp < hi]
        return list(ledger.responses_between(lo, hi, ordered=True))

    def in_time_order(self) -> Iterator[Entry]:
        """The window's responses oldest first, streamed from the ledger when it can."""
        ledger = self._narrow()
        if ledger is None:
            return iter(sorted(self.entries, key=lambda e: e.timestamp))
        lo, hi = self.window
        return ledger.responses_between(lo, hi, ordered=True)

    def cost(self, entry: Entry) -> float | None:
        """USD of one response, None when unpriced (priced once per run: reports ask often)."""
        try:
            return self._costs[entry.key]
        except KeyError:
            cost = self._costs[entry.key] = self.prices.cost(entry)
            return cost

    @property
    def names(self) -> dict[str, str]:
        """Session names by id (made once: reports ask for it per row)."""
        if self._names is None:
            self._names = {sid: m.name for sid, m in self.sessions.items() if m.name}
        return self._names


def open_ledger(env: Environment, settings: Settings) -> Ledger:
    """The ledger; a refused, locked, full or unusable one is a one-line error (exit 5).

    What the user must know about this open (read-only, rebuilt, empty) goes to stderr.
    """
    path = db_file(env.env, settings.db_path)
    try:
        ledger = Ledger.open(path)
    except LedgerError as exc:
        raise CliError(str(exc), ExitStatus.LEDGER) from exc
    except Exception as exc:
        raise CliError(f"cannot open the ledger {path}: {exc}", ExitStatus.LEDGER) from exc
    for note in ledger.notes:
        env.warn(note)
    return ledger


def load(
    args: argparse.Namespace, env: Environment, validate: bool = False, blocks: bool = False
) -> Dataset:
    """Read settings, bring the ledger up to date (or read files only) and filter by time.

    With `blocks` (the report reads the block cache), a first scan builds the finished
    blocks beside its write (adapters/block_seed.py)."""
    settings, problems = load_settings(env=env.env)
    for problem in problems:
        env.warn(f"config: {problem}")
    tz = local_tz(getattr(args, "timezone", None) or settings.timezone)
    data_dirs = list(getattr(args, "data_dir", None) or settings.data_dirs)
    named_problems = data_dir_problems(data_dirs, env.env)
    if named_problems and not validate:  # `doctor` (validate) lists them instead
        raise CliError("; ".join(named_problems), ExitStatus.NO_DATA)
    roots = find_roots(data_dirs, env.env)
    if roots.missing and not roots.dirs and not validate:
        raise CliError(
            "data dir not found: " + ", ".join(str(p) for p in roots.missing), ExitStatus.NO_DATA
        )
    prices = load_price_table(settings.prices)
    ledger = None if getattr(args, "no_ledger", False) or validate else open_ledger(env, settings)
    engine = Engine(roots, ledger)
    # What the report imports after the listing anyway, while a late listing is awaited.
    early_listing.warm(
        [
            "tray_app.adapters.block_cache",
            *(() if blocks else ("tray_app.adapters.usage_rollup",)),
            "orjson" if getattr(args, "json", False) else "tray_app.cli.table",
        ]
    )
    if blocks and ledger is not None and not getattr(args, "now", None):
        from tray_app.adapters import block_seed

        if block_seed.can_fork():  # (else a first scan need not wait to write in one)
            engine.first_write = block_seed.first_write(ledger, prices, engine.root_ids)
    result = engine.refresh(validate=validate)
    for warning in result.stats.warnings:
        env.warn(warning)
    lo, hi, horizon = -inf, inf, inf
    if getattr(args, "since", None):
        lo = parse_when(args.since, tz)
    if getattr(args, "until", None):
        hi = parse_when(args.until, tz, end_of_day=True)
    if getattr(args, "now", None):
        # A pinned clock (tests, replays) sees only what had happened by then.
        horizon = nextafter(env.now, inf)
        hi = min(hi, horizon)
    sessions = ledger.sessions() if ledger is not None else {}
    projects = dict(engine.projects)
    return Dataset(
        engine,
        (lo, hi),
        sorted(engine.resets, key=lambda r: r.timestamp),
        sessions,
        projects,
        prices,
        settings,
        result.stats,
        tz,
        ledger,
        horizon,
        window_label(getattr(args, "since", None), getattr(args, "until", None)),
    )


def ledger_path(env: Environment, settings: Settings) -> Path:
    """Where the ledger lives for these settings."""
    return db_file(env.env, settings.db_path)
