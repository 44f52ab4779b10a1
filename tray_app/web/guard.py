"""Who may talk to the local server: the per-run secret and the Host header (ASGI middleware)."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK = ("127.0.0.1", "localhost", "::1")

# Sent with every answer: nothing is cached, framed, sniffed, or fetched from elsewhere,
# and the secret in the URL never leaves in a Referer header.
SECURITY_HEADERS = [
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        b"frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    ),
]


def new_secret() -> str:
    """A fresh unguessable path segment for one run."""
    return secrets.token_urlsafe(24)


def is_loopback(host: str) -> bool:
    """Whether `host` is this machine only."""
    return host in LOOPBACK or host.startswith("127.")


class Guard:
    """Lets through `/metrics` (when public) and `/<secret>/…` with a local Host header.

    A wrong Host (DNS rebinding: another site's name pointing at 127.0.0.1) gets 403;
    a path without the secret gets 404, so nothing tells a prober what is here.
    """

    def __init__(self, app: ASGIApp, secret: str, public: tuple[str, ...] = ()) -> None:
        self.app = app
        self.prefix = f"/{secret}"
        self.public = public  # paths that need neither (e.g. /metrics for Prometheus)
        self.hosts: set[str] = set()  # "127.0.0.1:8123" etc., set once the port is known

    def allow_port(self, port: int) -> None:
        """Accept the loopback names with this port in the Host header."""
        self.hosts = {f"{h}:{port}" for h in ("127.0.0.1", "localhost", "[::1]")}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check, then hand over to the app with security headers on the answer."""
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path in self.public:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        host = headers.get(b"host", b"").decode("latin-1").lower()
        if host not in self.hosts:
            await _plain(send, 403, b"forbidden")
            return
        head, _, rest = path[1:].partition("/")
        if not hmac.compare_digest(f"/{head}".encode(), self.prefix.encode()):
            await _plain(send, 404, b"not found")
            return
        if not rest and not path.endswith("/"):
            await _redirect(send, self.prefix + "/")
            return
        inner = dict(scope, path="/" + rest)

        async def send_secured(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(inner, receive, send_secured)


async def _plain(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain"), *SECURITY_HEADERS]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})


async def _redirect(send: Send, location: str) -> None:
    await send({"type": "http.response.start", "status": 307,
                "headers": [(b"location", location.encode()), *SECURITY_HEADERS]})  # fmt: skip
    await send({"type": "http.response.body", "body": b""})
