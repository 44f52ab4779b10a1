"""Alerts to a Slack- or Discord-compatible incoming webhook (off unless configured).

The URL is a secret (whoever has it can post to the channel): it is never logged, and
errors name only their kind and HTTP status.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable

import orjson

from tray_app.usage.alerts import Alert
from tray_app.usage.text_safety import clean

log = logging.getLogger(__name__)
TIMEOUT = 5.0
USER_AGENT = "token-monitor-webhook"
Post = Callable[[urllib.request.Request, float], int]


def _post(request: urllib.request.Request, timeout: float) -> int:
    with urllib.request.urlopen(request, timeout=timeout) as answer:  # only usable() URLs get here
        status: int = answer.status
        return status


def usable(url: str) -> bool:
    """https anywhere, or plain http to this machine only (a local relay, tests)."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    if parts.scheme == "https":
        return bool(host)
    return parts.scheme == "http" and (host in ("localhost", "::1") or host.startswith("127."))


def payload(alert: Alert) -> bytes:
    """One message both Slack (`text`) and Discord (`content`) accept."""
    text = f"*{clean(alert.title, 200)}*\n{clean(alert.body, 1500)}"
    return orjson.dumps({"text": text, "content": text, "username": "Token Monitor"})


class Webhook:
    """Posts alerts to one incoming-webhook URL."""

    def __init__(self, url: str, post: Post = _post, timeout: float = TIMEOUT) -> None:
        self._url = url  # private: never logged, never in repr
        self._post = post
        self._timeout = timeout

    def __repr__(self) -> str:
        return "Webhook(<secret url>)"

    def send(self, alert: Alert) -> bool:
        """POST the alert; False (logged without the URL) when it did not arrive."""
        request = urllib.request.Request(
            self._url,
            data=payload(alert),
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
            method="POST",
        )
        try:
            status = self._post(request, self._timeout)
        except urllib.error.HTTPError as exc:
            log.warning("webhook refused the alert %s: HTTP %d", alert.kind, exc.code)
            return False
        except (urllib.error.URLError, OSError, ValueError) as exc:
            log.warning("webhook unreachable for the alert %s: %s", alert.kind, type(exc).__name__)
            return False
        if not 200 <= status < 300:
            log.warning("webhook answered the alert %s with HTTP %d", alert.kind, status)
            return False
        log.info("alert %s sent to the webhook", alert.kind)
        return True


def webhook_from(url: str | None, post: Post = _post) -> Webhook | None:
    """The configured webhook, or None when off or unusable (said once, without the URL)."""
    if not url:
        return None
    if not usable(url):
        log.warning("webhook_url is not an https:// URL; webhook alerts are off")
        return None
    return Webhook(url, post)
