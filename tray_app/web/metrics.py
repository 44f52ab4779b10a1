"""/metrics in the Prometheus text format (the official client, as a custom collector)."""

from __future__ import annotations

import getpass
import socket
from collections.abc import Iterator, Mapping

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from tray_app.web.feed import LiveFeed

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
TOKEN_TYPES = ("input", "output", "cache_creation", "cache_read")


def default_labels(configured: Mapping[str, str]) -> dict[str, str]:
    """`user` and `host` labels: the config's, else the login name and the host name."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        user = "unknown"
    return {"user": configured.get("user") or user, "host": configured.get("host") or (
        socket.gethostname() or "unknown"
    )}  # fmt: skip


class UsageCollector(Collector):
    """Counters from every counted response (the ledger's history) and live block gauges.

    Counters are recomputed from the full history at each scrape, so a restart never
    resets them: they only grow as responses are counted.
    """

    def __init__(self, feed: LiveFeed, labels: Mapping[str, str]) -> None:
        self.feed = feed
        self.names = list(labels)
        self.values = [labels[k] for k in self.names]

    def _gauge(self, name: str, doc: str, value: float, **extra: str) -> GaugeMetricFamily:
        g = GaugeMetricFamily(name, doc, labels=[*self.names, *extra])
        g.add_metric([*self.values, *extra.values()], value)
        return g

    def collect(self) -> Iterator[Metric]:
        """One scrape: counters per model and token type, then the current block."""
        names, values = self.names, self.values
        tokens = CounterMetricFamily(
            "token_monitor_tokens", "Tokens counted, by type and model.", labels=[
                *names, "type", "model"
            ],
        )  # fmt: skip
        cost = CounterMetricFamily(
            "token_monitor_cost_usd", "Cost in USD by model (priced models only).",
            labels=[*names, "model"],
        )  # fmt: skip
        responses = CounterMetricFamily(
            "token_monitor_responses", "API responses counted, by model.", labels=[*names, "model"]
        )
        for m in self.feed.models():
            t = m.totals
            kinds = (t.input_tokens, t.output_tokens, t.cache_creation_tokens, t.cache_read_tokens)
            for kind, count in zip(TOKEN_TYPES, kinds, strict=True):
                tokens.add_metric([*values, kind, m.model], count)
            if t.unpriced_responses < t.responses:  # a model without a price has no cost
                cost.add_metric([*values, m.model], t.cost_usd)
            responses.add_metric([*values, m.model], t.responses)
        yield tokens
        yield cost
        yield responses
        yield from self._block()

    def _block(self) -> Iterator[Metric]:
        snap = self.feed.snapshot
        b = snap.active_block if snap is not None else None
        yield self._gauge("token_monitor_block_active", "1 while a 5-hour block is active.",
                          0 if b is None else 1)  # fmt: skip
        yield self._gauge("token_monitor_block_tokens", "Tokens of the active 5-hour block.",
                          0 if b is None else b.block.tokens)  # fmt: skip
        if snap is not None and snap.last_update is not None:
            yield self._gauge("token_monitor_last_response_timestamp_seconds",
                              "Time of the newest counted response.", snap.last_update)  # fmt: skip
        windows = GaugeMetricFamily(
            "token_monitor_window_percent",
            "A limit window's used % as Claude Code reported it (5-hour, weekly, …).",
            labels=[*self.names, "window", "source"],
        )
        for lim in getattr(snap, "limits", ()):
            if lim.percent_now is not None:
                windows.add_metric([*self.values, lim.window, lim.source], lim.percent_now)
        if windows.samples:
            yield windows
        if b is None:
            return
        if b.percent is not None and b.limit_tokens is not None:
            yield self._gauge("token_monitor_block_limit_tokens", "The block's token limit.",
                              b.limit_tokens, source=b.limit_source)  # fmt: skip
        if b.percent is not None:
            yield self._gauge("token_monitor_block_limit_percent",
                              "Active block as % of its limit (source: where the limit came from).",
                              b.percent, source=b.limit_source)  # fmt: skip
        if b.tokens_per_minute is not None:
            yield self._gauge("token_monitor_burn_rate_tokens_per_minute",
                              "The active block's burn rate.", b.tokens_per_minute)  # fmt: skip
        yield self._gauge("token_monitor_block_seconds_to_reset",
                          "Seconds until the active block resets.", b.seconds_to_reset)  # fmt: skip


def metrics_registry(feed: LiveFeed, labels: Mapping[str, str]) -> CollectorRegistry:
    """A registry holding only our collector (no process metrics: they are not ours)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(UsageCollector(feed, labels))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    """The text exposition of one scrape."""
    return generate_latest(registry)
