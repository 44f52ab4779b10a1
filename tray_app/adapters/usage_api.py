"""Opt-in poller of the account's usage endpoint, with Claude Code's own sign-in (read-only).

The token is read from `~/.claude/.credentials.json` (or the macOS Keychain) and never
written, refreshed (that would rotate it and sign Claude Code out) or logged.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from tray_app.adapters.claude_settings import claude_config_dir
from tray_app.adapters.rate_capture import CaptureStore
from tray_app.adapters.small_files import read_small
from tray_app.usage.parse import parse_timestamp

log = logging.getLogger(__name__)
API = "https://api.anthropic.com"
PATH = "/api/oauth/usage"
MIN_INTERVAL = 300.0  # never more often than every 5 minutes
MAX_BACKOFF = 1800.0  # 429s back off up to 30 minutes
SIGN_IN = "run claude to sign in again"


@dataclass(frozen=True)
class Token:
    """Claude Code's OAuth access token and its expiry (epoch seconds; None if not given)."""

    access: str
    expires_at: float | None

    def __repr__(self) -> str:  # never shows the secret, even in a traceback
        return f"Token(expires_at={self.expires_at})"


def _token_from(data: object) -> Token | None:
    oauth = data.get("claudeAiOauth") if isinstance(data, dict) else None
    access = oauth.get("accessToken") if isinstance(oauth, dict) else None
    if not isinstance(access, str) or not access:
        return None
    assert isinstance(oauth, dict)
    expires = oauth.get("expiresAt")
    ok = isinstance(expires, int | float) and not isinstance(expires, bool)
    return Token(access, float(expires) / 1000.0 if ok else None)  # type: ignore[arg-type]


def read_token(env: Mapping[str, str]) -> Token | None:
    """The access token from the credentials file, else (macOS) the Keychain; None if absent."""
    path = claude_config_dir(env) / ".credentials.json"
    try:
        return _token_from(json.loads(read_small(path, 1 << 20).decode("utf-8")))
    except FileNotFoundError:
        pass
    except (OSError, ValueError):
        log.warning("cannot read Claude Code's credentials file %s", path)
        return None
    if sys.platform == "darwin":
        try:
            found = subprocess.run(
                ["security", "find-generic-password", "-s", "Claude Code-credentials", "-w"],
                capture_output=True, text=True, timeout=10, check=False,
            )  # fmt: skip
            return _token_from(json.loads(found.stdout)) if found.returncode == 0 else None
        except (OSError, ValueError, subprocess.SubprocessError):
            return None
    return None


def _window(percent: object, resets: object) -> dict[str, float] | None:
    if not isinstance(percent, int | float) or isinstance(percent, bool):
        return None
    out = {"used_percentage": float(percent)}
    when = parse_timestamp(resets)
    if when is not None:
        out["resets_at"] = when
    return out


def parse_usage(payload: object) -> dict[str, dict[str, float]]:
    """Both response shapes → status-line style windows {name: {used_percentage, resets_at}}."""
    out: dict[str, dict[str, float]] = {}
    if not isinstance(payload, dict):
        return out
    limits = payload.get("limits")
    if isinstance(limits, list):  # newer: [{kind, percent, resets_at, scope}]
        for item in limits:
            if not isinstance(item, dict) or not isinstance(item.get("kind"), str):
                continue
            scope = item.get("scope")
            name = item["kind"] + (f"_{scope}" if isinstance(scope, str) and scope else "")
            window = _window(item.get("percent"), item.get("resets_at"))
            if window is not None:
                out[name.lower()] = window
    for name, body in payload.items():  # flat: five_hour: {utilization, resets_at ISO}
        if isinstance(body, dict) and name != "limits" and "utilization" in body:
            window = _window(body.get("utilization"), body.get("resets_at"))
            if window is not None:
                out.setdefault(name, window)
    return out


@dataclass
class PollState:
    """When the next request may go out, and what the user should be told."""

    next_at: float = 0.0
    backoff: float = MIN_INTERVAL
    problem: str | None = None


Fetch = Callable[[urllib.request.Request, float], tuple[int, Mapping[str, str], bytes]]


def _fetch(request: urllib.request.Request, timeout: float) -> tuple[int, Mapping[str, str], bytes]:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read(1 << 20)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers or {}), b""


def _retry_after(value: str | None, now: float) -> float:
    if not value:
        return 0.0
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - now)
        except (TypeError, ValueError):
            return 0.0


class UsagePoller:
    """One request at a time, at most every 5 minutes, into the status-line spool."""

    def __init__(self, store: CaptureStore, env: Mapping[str, str], base_url: str = API,
                 fetch: Fetch = _fetch) -> None:  # fmt: skip
        self.store, self.env, self.url = store, env, base_url.rstrip("/") + PATH
        self.fetch = fetch
        self.state = PollState()

    def poll(self, now: float) -> dict[str, dict[str, float]] | None:
        """Ask once if it is time; the windows received (also appended to the spool)."""
        if now < self.state.next_at:
            return None
        token = read_token(self.env)
        if token is None or (token.expires_at is not None and token.expires_at <= now):
            self._stop(now, f"Claude Code's sign-in is missing or expired: {SIGN_IN}")
            return None
        request = urllib.request.Request(self.url, headers={
            "Authorization": f"Bearer {token.access}", "anthropic-beta": "oauth-2025-04-20",
            "Accept": "application/json", "User-Agent": "token-monitor",
        })  # fmt: skip
        try:
            status, headers, body = self.fetch(request, 10.0)
        except (OSError, ValueError) as exc:
            log.info("usage endpoint unreachable (%s)", type(exc).__name__)
            self.state.next_at = now + MIN_INTERVAL
            return None
        if status == 429:
            wait = max(self.state.backoff, _retry_after(headers.get("Retry-After"), now))
            self.state.next_at = now + min(MAX_BACKOFF, wait)
            self.state.backoff = min(MAX_BACKOFF, self.state.backoff * 2)
            log.info("usage endpoint: 429, next try in %.0f s", self.state.next_at - now)
            return None
        if status in (401, 403):
            self._stop(now, f"the usage endpoint refused Claude Code's sign-in: {SIGN_IN}")
            return None
        self.state.backoff = MIN_INTERVAL
        self.state.next_at = now + max(MIN_INTERVAL, _retry_after(headers.get("Retry-After"), now))
        if status != 200:
            log.info("usage endpoint: HTTP %d", status)
            return None
        try:
            windows = parse_usage(json.loads(body))
        except ValueError:
            return None
        self.state.problem = None
        if windows:
            self.store.add(windows, "usage_api", now)
        return windows

    def _stop(self, now: float, problem: str) -> None:
        if self.state.problem != problem:
            log.warning("%s", problem)
        self.state.problem = problem
        self.state.next_at = now + MAX_BACKOFF


def fresh_capture(store: CaptureStore, now: float, max_age: float) -> bool:
    """Whether the status line delivered a figure recently (then the endpoint is not asked)."""
    store.refresh()
    return any(
        w.origin == "statusline" and now - w.captured_at <= max_age for w in store.captures.values()
    )


def start_poller(poller: UsagePoller, max_age: float, stop: threading.Event) -> threading.Thread:
    """A daemon thread asking the endpoint while the status line is silent."""

    def run() -> None:
        while not stop.wait(30.0):
            try:
                if not fresh_capture(CaptureStore(poller.store.folder), time.time(), max_age):
                    poller.poll(time.time())
            except Exception:  # a poller bug must not take the app down
                log.exception("usage poller failed")

    thread = threading.Thread(target=run, name="tm-usage-api", daemon=True)
    thread.start()
    return thread
