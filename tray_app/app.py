"""App wiring: the tray process, and the commands that need more than the CLI layer."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from tray_app.adapters import instance
from tray_app.adapters.app_log import setup_logging
from tray_app.adapters.config import load_settings
from tray_app.adapters.config_values import Colors
from tray_app.adapters.locations import db_file
from tray_app.adapters.watcher import Watcher
from tray_app.adapters.webhook import webhook_from
from tray_app.cli.environment import Environment, ExitStatus
from tray_app.cli.time_args import local_tz
from tray_app.service.budget_watch import BudgetWatch
from tray_app.service.model_auto import ModelAutoSwitch
from tray_app.service.runtime import LiveRuntime
from tray_app.ui.icon import DEFAULT_COLORS, IconColors
from tray_app.usage.alerts import Alert

log = logging.getLogger("tray_app.app")
EXIT_GRACE = 5.0  # seconds the interpreter may take to exit after the tray stopped


def _rgba(hex_color: str) -> tuple[int, int, int, int]:
    return (int(hex_color[1:3], 16), int(hex_color[3:5], 16), int(hex_color[5:7], 16), 255)


def colors_from(colors: Colors) -> IconColors:
    """The icon palette from the config's colours (green → amber → red, idle grey)."""
    if colors == Colors():
        return DEFAULT_COLORS  # the designed four-step palette unless the user chose colours
    ok, warn, danger = _rgba(colors.ok), _rgba(colors.warn), _rgba(colors.danger)
    between = tuple((a + b) // 2 for a, b in zip(ok, warn, strict=True))
    return replace(DEFAULT_COLORS, levels=(ok, between, warn, danger), dim=_rgba(colors.idle))  # type: ignore[arg-type]


def _say(message: str) -> None:
    """One line for the user on stderr (a windowed Windows build has none)."""
    if sys.stderr is not None:
        sys.stderr.write(message + "\n")


def _parse(args: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="token-monitor tray", description="Start the tray app.")
    parser.add_argument("--data-dir", action="append", metavar="DIR", help="Claude data dir")
    parser.add_argument("--debug", action="store_true", help="debug logging")
    return parser.parse_args(list(args))


def _default_signals() -> None:
    """SIGINT/SIGTERM end the process (the kernel's default action: nothing can hold it)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


def _install_signals(stop: Any, gtk: bool) -> None:
    """SIGINT/SIGTERM quit cleanly while the loop runs; before that they end the process.

    GLib's handler only records a signal for its loop to dispatch: installed before the
    loop runs (or after it failed to start) it swallowed SIGTERM and the process hung.
    """
    _default_signals()
    if gtk:
        from gi.repository import GLib

        def install() -> bool:
            for sig in (signal.SIGINT, signal.SIGTERM):
                GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, lambda *_: stop() or False)
            return False  # once

        GLib.idle_add(install)  # idle callbacks run only once the loop is running
    else:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop())


def _exit_for_sure(code: int) -> None:
    """Exit with `code` within EXIT_GRACE s even if a toolkit thread never ends."""
    timer = threading.Timer(EXIT_GRACE, lambda: os._exit(code))
    timer.daemon = True  # a normal exit ends it first; it fires only if exiting hangs
    timer.start()


def run_tray(argv: Sequence[str]) -> int:
    """Start the tray app: one instance per user, live engine, icon, menu and alerts."""
    args = _parse(argv)
    settings, problems = load_settings()
    log_path = setup_logging("DEBUG" if args.debug else settings.log_level)
    for problem in problems:
        log.warning("config: %s", problem)
    try:
        lock = instance.acquire()
    except OSError as exc:  # UnsafeLockFile (a planted symlink…) or an unusable lock dir
        _say(f"token-monitor: error: cannot take the single-instance lock: {exc}")
        return ExitStatus.ERROR
    if lock is None:
        _say("Token Monitor is already running.")
        return ExitStatus.OK
    from tray_app.ui.controller import AppController
    from tray_app.ui.ledger_notice import LedgerNotice
    from tray_app.ui.notify import Notifier
    from tray_app.ui.tray import TrayApp, TrayUnavailable

    tz = local_tz(settings.timezone)
    runtime = LiveRuntime(settings, os.environ, args.data_dir or (), tz=tz)
    from tray_app.web.host import DashboardHost

    # Follows the service from the start; budgets are read from the live settings (menu).
    dashboard = DashboardHost(runtime.service, tz, lambda: controller.settings.budgets)
    dashboard.listen_for_cli()  # `token-monitor dashboard` then asks this process
    holder: dict[str, Any] = {}

    def quit_app() -> None:
        if "tray" in holder:
            holder["tray"].stop()

    controller = AppController(
        runtime.service,
        settings,
        db_file(os.environ, settings.db_path).parent,
        on_state=lambda state: holder["tray"].set_state(state) if "tray" in holder else None,
        on_quit=quit_app,
        on_dashboard=dashboard.open,
    )
    try:
        tray = TrayApp(
            controller, controller.ui_state(), tz=tz, colors=colors_from(settings.colors)
        )
    except TrayUnavailable as exc:
        dashboard.stop()  # removes the request FIFO it made for `token-monitor dashboard`
        lock.release()
        hint = ""
        if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
            hint = " (DISPLAY is not set: start it from your desktop session)"
        _say(f"token-monitor: error: {exc}{hint}")
        _exit_for_sure(ExitStatus.ERROR)
        return ExitStatus.ERROR
    holder["tray"] = tray
    notifier = Notifier()

    webhook = webhook_from(settings.webhook_url)  # None unless configured

    def on_alert(alert: Alert) -> None:
        if webhook is not None:  # off by default; posting may be slow: its own thread
            threading.Thread(target=webhook.send, args=(alert,), daemon=True).start()
        if not controller.settings.notifications:
            return
        notifier.post(alert.title, alert.body)  # queued: the bus never holds up this thread

    runtime.service.subscribe(tray.publish)
    runtime.service.on_alert(on_alert)
    # What opening the ledger found (rebuilt, read-only, started afresh): told once.
    runtime.service.subscribe(
        LedgerNotice(lambda: runtime.service.ledger_notes, notifier.post).on_snapshot
    )
    budgets = BudgetWatch(db_file(os.environ, settings.db_path), runtime.service.prices.cost,
                          lambda: controller.settings.budgets, settings.budget_thresholds, tz,
                          on_alert)  # fmt: skip
    budgets.attach(runtime.service)  # reads no ledger while no budget is set
    # Auto-switch (off unless the user turns it on) runs its checks on its own thread.
    model_auto = ModelAutoSwitch(
        lambda: controller.settings, os.environ, db_file(os.environ, settings.db_path),
        notifier.post, tz, on_change=lambda: tray.set_state(controller.ui_state()),
    )  # fmt: skip
    runtime.service.subscribe(model_auto.on_snapshot)
    _install_signals(tray.stop, tray.backend_name in ("gtk", "appindicator"))
    log.info("starting (backend %s, log %s)", tray.backend_name, log_path)
    runtime.start()
    failed: TrayUnavailable | None = None
    try:
        tray.run()
    except TrayUnavailable as exc:  # the loop could not start (e.g. no reachable bus)
        failed = exc
    finally:
        _default_signals()  # what is left to do must never make SIGTERM wait
        dashboard.stop()
        budgets.stop()
        runtime.stop()
        notifier.stop()  # after the service: no alert can be posted any more
        lock.release()
        log.info("stopped")
    code = ExitStatus.OK if failed is None else ExitStatus.ERROR
    if failed is not None:
        _say(f"token-monitor: error: {failed}")
    _exit_for_sure(code)
    return code


def doctor_extras(env: Environment) -> None:
    """Facts only outer layers can probe: tray menu support, watcher mode."""
    from tray_app.ui.desktop_checks import display_problem, session_bus_problem
    from tray_app.ui.tray import menu_support

    ok, why = menu_support(env.env)
    no_display = display_problem(env.env)
    if no_display is not None:  # a menu could exist, but no tray can show here
        env.extras["tray"] = {"menu": f"no display — {no_display}; with one: {why}"}
    else:
        env.extras["tray"] = {"menu": ("yes — " if ok else "no — ") + why}
    no_bus = session_bus_problem(env.env)
    if no_bus is not None:
        env.extras["tray"]["bus"] = no_bus
    env.extras["watcher"] = {"mode": Watcher.probe()}
