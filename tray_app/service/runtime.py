"""Assemble the live engine: settings → service + watcher, started and stopped together."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping, Sequence
from datetime import tzinfo
from pathlib import Path

from tray_app.adapters.config import Settings
from tray_app.adapters.discovery import Roots, find_roots
from tray_app.adapters.locations import db_file
from tray_app.adapters.prices import load_price_table
from tray_app.adapters.rate_capture import CaptureStore
from tray_app.adapters.spool_files import data_dir
from tray_app.adapters.usage_api import UsagePoller, start_poller
from tray_app.adapters.watcher import Watcher
from tray_app.service.aggregator import ServiceOptions, UsageService
from tray_app.service.publish import ViewSettings
from tray_app.usage.alerts import AlertRules

log = logging.getLogger(__name__)


def view_settings(settings: Settings) -> ViewSettings:
    """The snapshot-shaping part of the settings."""
    return ViewSettings(
        settings.limit_mode, settings.limit_tokens, settings.tracked_session,
        settings.official_max_age,
    )  # fmt: skip


def alert_rules(settings: Settings) -> AlertRules:
    """The alerting part of the settings."""
    return AlertRules(settings.thresholds, settings.notify_projection, settings.notify_new_block)


class LiveRuntime:
    """The aggregator thread plus the file watcher feeding it."""

    def __init__(
        self,
        settings: Settings,
        env: Mapping[str, str] = os.environ,
        data_dirs: Sequence[str] = (),
        use_ledger: bool = True,
        tz: tzinfo | None = None,
        options: ServiceOptions | None = None,
        force_polling: bool | None = None,
    ) -> None:
        dirs = list(data_dirs or settings.data_dirs)

        def discover() -> Roots:
            return find_roots(dirs, env)

        roots = discover()
        ledger: Path | None = db_file(env, settings.db_path) if use_ledger else None
        self.service = UsageService(
            discover,
            ledger,
            load_price_table(settings.prices),
            view_settings(settings),
            alert_rules(settings),
            tz,
            options or ServiceOptions(tick_seconds=settings.refresh_seconds),
            capture_dir=data_dir(env),
        )
        polling = env.get("TOKEN_MONITOR_POLL") == "1" if force_polling is None else force_polling
        self.watcher = Watcher(roots.watch or roots.dirs, self.service.notify, polling)
        # Opt-in only (usage_api: true): the account's usage endpoint while the status line
        # is silent; it writes to the same spool the service reads.
        store = CaptureStore(data_dir(env))
        self.poller = UsagePoller(store, env) if settings.usage_api else None
        self._poll_stop = threading.Event()
        self._max_age = settings.official_max_age

    def start(self) -> None:
        """Start watching first (no event is missed), then the aggregator."""
        self.watcher.start()
        self.service.start()
        if self.poller is not None:
            start_poller(self.poller, self._max_age, self._poll_stop)

    def stop(self) -> None:
        """Stop the watcher and the aggregator (flushing the ledger), joining both."""
        self._poll_stop.set()
        self.watcher.stop()
        self.service.stop()
