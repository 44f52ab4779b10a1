"""`token-monitor serve`: /metrics (and optionally the dashboard) until interrupted."""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Callable
from datetime import tzinfo

from tray_app.adapters.config import Settings, load_settings
from tray_app.adapters.history_source import HistorySource
from tray_app.adapters.webhook import webhook_from
from tray_app.cli.environment import CliError, Environment, ExitStatus
from tray_app.cli.time_args import local_tz
from tray_app.service.budget_watch import BudgetWatch
from tray_app.service.runtime import LiveRuntime
from tray_app.usage.alerts import Alert
from tray_app.web.api import DashboardData
from tray_app.web.feed import LiveFeed, ledger_entries, ledger_sessions
from tray_app.web.metrics import default_labels, metrics_registry
from tray_app.web.server import WebServer

Stop = Callable[[], None]


def _port(text: str) -> int:
    """A TCP port number; checked here so a typo is exit 2, not a failure after start-up."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected 0-65535, got {text!r}")
    return port


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """serve's own options."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=_port, default=0, help="port (0: any free port)")
    parser.add_argument(
        "--dashboard", action="store_true", help="also serve the dashboard (127.0.0.1 only)"
    )


def start_web(
    args: argparse.Namespace, env: Environment, dashboard: bool, metrics: bool
) -> tuple[LiveRuntime, WebServer, Settings]:
    """The live engine with a feed, and the web server bound and listening."""
    if args.no_ledger:
        raise CliError("the web server reads the ledger; drop --no-ledger", ExitStatus.USAGE)
    settings, problems = load_settings(env=env.env)
    for problem in problems:
        env.warn(f"config: {problem}")
    tz = local_tz(args.timezone or settings.timezone)
    runtime = LiveRuntime(settings, env.env, args.data_dir or (), True, tz)
    service = runtime.service
    path = service.ledger_path
    assert path is not None
    # History and /metrics from the ledger's aggregates: the every-response seed stays unread.
    source = HistorySource(path, service.prices, service.roots.dirs)
    feed = LiveFeed(service.prices.cost, lambda: ledger_entries(path), source)
    feed.attach(service)  # before the start: no response is missed
    data = None
    if dashboard:
        data = DashboardData(
            feed, tz, lambda: settings.budgets, lambda: ledger_sessions(path), source=source
        )
    registry = metrics_registry(feed, default_labels(settings.metrics_labels)) if metrics else None
    host = getattr(args, "host", "127.0.0.1")
    try:
        server = WebServer(data, registry, host, getattr(args, "port", 0))
        server.start()
    except (OSError, ValueError, RuntimeError) as exc:
        raise CliError(f"cannot listen on {host}: {exc}", ExitStatus.USAGE) from exc
    server.also_stop = _alerts_to_webhook(settings, runtime, tz)
    return runtime, server, settings


def _alerts_to_webhook(settings: Settings, runtime: LiveRuntime, tz: tzinfo) -> list[Stop]:
    """Headless, the webhook (when configured) is where block and budget alerts go."""
    webhook = webhook_from(settings.webhook_url)
    if webhook is None:
        return []

    def post(alert: Alert) -> None:  # never on the aggregator thread: a post may be slow
        threading.Thread(target=webhook.send, args=(alert,), daemon=True).start()

    service = runtime.service
    service.on_alert(post)
    path = service.ledger_path
    assert path is not None
    watch = BudgetWatch(path, service.prices.cost, lambda: settings.budgets,
                        settings.budget_thresholds, tz, post)  # fmt: skip
    watch.attach(service)
    return [watch.stop]


def wait_until_interrupted() -> None:
    """Block until Ctrl+C or SIGTERM (polled: the kernel may hand the signal to any thread)."""
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


def serve_until_stopped(runtime: LiveRuntime, server: WebServer) -> None:
    """Run the engine until Ctrl+C or SIGTERM, then stop the server and the engine."""
    runtime.start()
    try:
        wait_until_interrupted()
    finally:
        server.stop()
        runtime.stop()
        for stop_too in server.also_stop:
            stop_too()


def cmd_serve(args: argparse.Namespace, env: Environment) -> ExitStatus:
    """Serve /metrics for Prometheus; the base URL is the first line of stdout."""
    runtime, server, _ = start_web(args, env, dashboard=args.dashboard, metrics=True)
    print(server.base_url, file=env.stdout, flush=True)
    if args.dashboard:
        print(f"dashboard: {server.dashboard_url}", file=env.stdout, flush=True)
    serve_until_stopped(runtime, server)
    return ExitStatus.OK
