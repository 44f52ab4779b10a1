"""The dashboard's HTTP routes: page, JSON state, live events (SSE), rename, /metrics."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from math import inf
from pathlib import Path
from typing import Any

import orjson
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from tray_app.adapters.history_source import HistorySource
from tray_app.adapters.ledger import SessionMeta
from tray_app.service.snapshot import Snapshot
from tray_app.usage.budgets import budget_status
from tray_app.usage.text_safety import clean, name_problem
from tray_app.web import views
from tray_app.web.feed import LiveFeed
from tray_app.web.history import history_json
from tray_app.web.metrics import CONTENT_TYPE, render

STATIC = Path(__file__).with_name("static")
KEEPALIVE_SECONDS = 15.0
MIN_REFRESH = 1.0  # s between history recomputations while responses keep arriving
REFRESH_FACTOR = 5.0  # …or 5× what the last one took (a big ledger: a few seconds)
MAX_RENAME_BODY = 16 * 1024  # a name is at most 80 characters; JSON around it is small
# The live service writes what it counted within ~1 s (ServiceOptions.flush_seconds): a
# history read from the ledger sooner after a response may miss it, so the page is told
# to ask again (its version stays behind).
SETTLE_SECONDS = 2.5


@dataclass
class DashboardData:
    """History views computed from the feed, cached until a response is counted."""

    feed: LiveFeed
    tz: tzinfo
    budgets: Callable[[], Mapping[str, float]] = dict  # read per view: the menu may change them
    meta: Callable[[], Mapping[str, SessionMeta]] = dict
    clock: Callable[[], float] = time.time
    # The ledger's aggregates (O(what is shown)); without it every response is counted.
    source: HistorySource | None = None
    _cache: tuple[int, int, dict[str, Any]] | None = None  # (version, minute, views)
    _next: float = 0.0  # monotonic time before which a cached history is good enough
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def live(self) -> dict[str, Any]:
        """The snapshot part, with the version that tells the page to refetch history."""
        return {"live": views.live_json(self.feed.snapshot), "version": self.feed.version}

    def history(self) -> dict[str, Any]:
        """Daily/heatmap, blocks, models, sessions, budgets and all-time totals."""
        with self._lock:  # one computation at a time; the others wait and reuse it
            now = self.clock()
            key = (self.feed.version, int(now // 60))  # days and budgets move with time too
            if self._cache is not None and (
                self._cache[:2] == key or time.monotonic() < self._next
            ):
                # While responses stream in, a big history is recomputed at most every
                # few seconds; its `version` tells the page to ask again (live figures
                # come by SSE meanwhile).
                return self._cache[2]
            started = time.monotonic()
            settled = started - self.feed.changed_at >= SETTLE_SECONDS
            meta = self.meta()
            names = {s: m.name for s, m in meta.items() if m.name}
            projects = {s: m.project_path for s, m in meta.items()}
            snap = self.feed.snapshot
            views_out = None
            if self.source is not None:
                views_out = history_json(
                    self.source, snap, self.feed.cost, self.tz, now, (names, projects),
                    self.budgets(),
                )  # fmt: skip
            if views_out is None:  # no ledger to ask (or it is busy): count every response
                views_out, settled = self._counted(now, snap, names, projects), True
            out = {
                "generated_at": now,
                "timezone": views.tz_name(self.tz, now),
                "version": key[0] if settled else key[0] - 1,
                **views_out,
            }
            if not settled:  # not cached: the page asks again in a moment
                return out
            self._cache = (key[0], key[1], out)
            took = time.monotonic() - started
            self._next = time.monotonic() + max(MIN_REFRESH, REFRESH_FACTOR * took)
            return out

    def _counted(
        self,
        now: float,
        snap: Snapshot | None,
        names: Mapping[str, str],
        projects: Mapping[str, str],
    ) -> dict[str, Any]:
        """The history views counted from every response the feed holds."""
        entries = self.feed.entries()
        cost = self.feed.cost
        block = snap.active_block if snap is not None else None
        return {
            "totals": views.window_totals(entries, cost),
            "rolling_7d": views.window_totals(entries, cost, now - 7 * 86400, now),
            "daily": views.daily_json(entries, cost, self.tz, now),
            "timeline": views.blocks_json(
                entries, cost, now, block.limit_tokens if block else None
            ),
            "models": views.models_json(entries, cost, now),
            "block": views.block_series(entries, snap),
            "sessions": views.sessions_json(entries, cost, names, projects),
            "budgets": views.budgets_json(
                budget_status(entries, cost, self.budgets(), now, self.tz)
            ),
        }

    def known_sessions(self) -> set[str]:
        """Every session with a counted response."""
        parts = None if self.source is None else self.source.merged(-inf, inf, "session")
        if parts is None:
            return {e.session_id for e in self.feed.entries()}
        return {p.session_id for p in parts} | self.feed.sessions_seen()


class Broadcaster:
    """Fans each snapshot out to the open event streams (called from any thread)."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.queues: set[asyncio.Queue[bytes | None]] = set()

    def push(self, payload: bytes | None) -> None:
        """Queue `payload` for every stream; None ends them (shutdown)."""
        loop = self.loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._fan_out, payload)

    def _fan_out(self, payload: bytes | None) -> None:
        for q in self.queues:
            if q.full():
                q.get_nowait()  # a slow page only needs the newest snapshot
            q.put_nowait(payload)

    async def stream(self, first: bytes) -> AsyncIterator[bytes]:
        """One page's event stream: the current state, then each new one."""
        q: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=1)
        self.queues.add(q)
        try:
            yield b"data: " + first + b"\n\n"
            while True:
                try:
                    item = await asyncio.wait_for(q.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield b": keepalive\n\n"
                    continue
                if item is None:
                    return
                yield b"data: " + item + b"\n\n"
        finally:
            self.queues.discard(q)


def build_app(
    data: DashboardData | None,
    broadcaster: Broadcaster,
    registry: CollectorRegistry | None,
) -> Starlette:
    """The routes: the dashboard when `data` is given, /metrics when `registry` is."""

    async def index(_: Request) -> Response:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    async def state(_: Request) -> Response:
        assert data is not None
        return JSONResponse(data.live())

    async def history(_: Request) -> Response:
        assert data is not None
        payload = await asyncio.to_thread(data.history)  # may take a moment on a big ledger
        return Response(orjson.dumps(payload), media_type="application/json")

    async def events(_: Request) -> Response:
        assert data is not None
        first = orjson.dumps(data.live())
        return StreamingResponse(
            broadcaster.stream(first),
            media_type="text/event-stream",
            headers={"x-accel-buffering": "no"},
        )

    async def rename(request: Request) -> Response:
        assert data is not None
        if request.headers.get("content-type", "").split(";")[0] != "application/json":
            return JSONResponse({"error": "expected application/json"}, 415)
        raw = bytearray()
        async for chunk in request.stream():  # never more than a name's worth in memory
            raw += chunk
            if len(raw) > MAX_RENAME_BODY:
                return JSONResponse({"error": "request too large"}, 413)
        try:
            body = orjson.loads(bytes(raw))
        except orjson.JSONDecodeError:
            return JSONResponse({"error": "not JSON"}, 400)
        name = body.get("name") if isinstance(body, dict) else None
        sid = request.path_params["session_id"]
        if not isinstance(name, str):
            return JSONResponse({"error": 'expected {"name": "..."}'}, 400)
        known = await asyncio.to_thread(data.known_sessions)
        if sid not in known:
            return JSONResponse({"error": "no such session"}, 404)
        names = {s: m.name for s, m in data.meta().items() if m.name}
        problem = name_problem(name, sid, names, known)
        if problem is not None:
            return JSONResponse({"error": clean(problem)}, 400)
        if data.feed.rename is None:
            return JSONResponse({"error": "renaming is not available"}, 503)
        data.feed.rename(sid, name.strip())
        return JSONResponse({"session_id": sid, "name": name.strip()})

    async def metrics(_: Request) -> Response:
        assert registry is not None
        body = await asyncio.to_thread(render, registry)
        return Response(body, media_type=CONTENT_TYPE)

    routes: list[Route | Mount] = []
    if registry is not None:
        routes.append(Route("/metrics", metrics))
    if data is not None:
        routes += [
            Route("/", index),
            Route("/api/state", state),
            Route("/api/history", history),
            Route("/api/events", events),
            Route("/api/sessions/{session_id}/name", rename, methods=["POST"]),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ]
    return Starlette(routes=routes)
