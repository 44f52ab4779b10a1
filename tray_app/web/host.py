"""The dashboard inside the tray process: same service and snapshots, started on first use."""

from __future__ import annotations

import logging
import threading
import webbrowser
from collections.abc import Callable, Mapping
from datetime import tzinfo
from typing import TYPE_CHECKING

from tray_app.adapters.history_source import HistorySource
from tray_app.adapters.instance import lock_path
from tray_app.service.aggregator import UsageService
from tray_app.web.feed import LiveFeed, ledger_entries, ledger_sessions
from tray_app.web.handoff import HandoffListener

if TYPE_CHECKING:
    from tray_app.web.server import WebServer

log = logging.getLogger(__name__)


class DashboardHost:
    """Follows the service from its start (no response is missed); serves once first opened."""

    def __init__(
        self,
        service: UsageService,
        tz: tzinfo,
        budgets: Callable[[], Mapping[str, float]],
        open_url: Callable[[str], object] = webbrowser.open,
    ) -> None:
        path = service.ledger_path
        # History from the ledger's aggregates (the feed's every-response seed stays unread).
        self.source = HistorySource(path, service.prices, service.roots.dirs) if path else None
        seed = (lambda: ledger_entries(path)) if path else None
        self.feed = LiveFeed(service.prices.cost, seed, self.source)
        self.feed.attach(service)
        self.meta = (lambda: ledger_sessions(path)) if path else dict
        self.tz = tz
        self.budgets = budgets
        self.open_url = open_url
        self.server: WebServer | None = None
        self._lock = threading.Lock()
        self._stopped = False
        self.handoff: HandoffListener | None = None

    def open(self, browse: bool = True) -> str | None:
        """Start the server on first use and open the page; returns its URL (None once stopped)."""
        with self._lock:
            if self._stopped:
                return None
            if self.server is None:
                # The web stack loads only when the page is first asked for: a quick tray start.
                from tray_app.web.api import DashboardData
                from tray_app.web.server import WebServer

                data = DashboardData(
                    self.feed, self.tz, self.budgets, self.meta, source=self.source
                )
                server = WebServer(data)
                server.start()
                self.server = server
                log.info("dashboard started on 127.0.0.1:%d", server.port)  # never the secret
            url = self.server.dashboard_url
        if browse:
            self.open_url(url)
        return url

    def listen_for_cli(self) -> bool:
        """Let `token-monitor dashboard` use this process's page instead of a second engine."""
        self.handoff = HandoffListener(lock_path().parent, lambda: self.open(browse=False))
        return self.handoff.start()

    def stop(self) -> None:
        """Stop serving (the tray quits); later `open` calls do nothing."""
        if self.handoff is not None:
            self.handoff.stop()
        with self._lock:
            self._stopped = True
            server, self.server = self.server, None
        if server is not None:
            server.stop()
