"""Run the web app (uvicorn) on its own thread: start, base URL, stop."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Callable

import orjson
import uvicorn
from prometheus_client import CollectorRegistry

from tray_app.service.snapshot import Snapshot
from tray_app.web import views
from tray_app.web.api import Broadcaster, DashboardData, build_app
from tray_app.web.guard import Guard, is_loopback, new_secret

log = logging.getLogger(__name__)


class WebServer:
    """The dashboard and/or /metrics on one port; nothing listens until `start`."""

    def __init__(
        self,
        data: DashboardData | None,
        registry: CollectorRegistry | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if data is not None and not is_loopback(host):
            raise ValueError("the dashboard is only served on 127.0.0.1")
        self.data = data
        self.host = host
        self.port = port
        self.secret = new_secret()
        self.broadcaster = Broadcaster()
        self.guard = Guard(
            build_app(data, self.broadcaster, registry),
            self.secret,
            public=("/metrics",) if registry is not None else (),
        )
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._unlisten = None if data is None else data.feed.listen(self._on_snapshot)
        self.also_stop: list[Callable[[], None]] = []  # what the owner stops with the server

    @property
    def base_url(self) -> str:
        """`http://host:port` (the address bound, with the real port)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def dashboard_url(self) -> str:
        """The page's address with its secret (share it with no one)."""
        return f"http://127.0.0.1:{self.port}/{self.secret}/"

    def _on_snapshot(self, snapshot: Snapshot) -> None:
        # Aggregator thread: serialise once here, the event loop only copies bytes out.
        if self.broadcaster.queues:
            version = self.data.feed.version if self.data is not None else 0
            live = {"live": views.live_json(snapshot), "version": version}
            self.broadcaster.push(orjson.dumps(live))

    def start(self, timeout: float = 10.0) -> None:
        """Bind (port 0 = any free port), serve on a daemon thread, return once listening."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        self.guard.allow_port(self.port)
        config = uvicorn.Config(
            self.guard,
            log_config=None,  # keep the app's logging as it is
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            server_header=False,
            proxy_headers=False,
        )
        server = self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, args=(sock,), name="tm-web", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the web server did not start (see the log)")
            time.sleep(0.01)
        log.info("web server listening on %s", self.base_url)

    def _run(self, sock: socket.socket) -> None:
        async def serve() -> None:
            self.broadcaster.loop = asyncio.get_running_loop()
            assert self._server is not None
            await self._server.serve(sockets=[sock])

        try:
            asyncio.run(serve())
        except Exception:
            log.exception("web server failed")
        finally:
            sock.close()

    def stop(self) -> None:
        """End the event streams, stop serving and join the thread."""
        if self._unlisten is not None:
            self._unlisten()
        self.broadcaster.push(None)
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(5.0)
