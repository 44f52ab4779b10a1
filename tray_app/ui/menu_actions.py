"""What a menu click does: controller calls on one background worker, dialogs where a value
is needed (names, budgets, a custom limit) — never on the toolkit's thread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from tray_app.ui.budget_menu import parse_usd
from tray_app.ui.budget_menu import prompt as budget_prompt
from tray_app.ui.menu import RENAME_PROMPT, RENAME_TITLE, Action, AskText, Submit, TrayController
from tray_app.usage.formatting import parse_tokens
from tray_app.usage.text_safety import NAME_MAX, clean, text_problem

log = logging.getLogger(__name__)


class Worker:
    """One background thread that runs controller calls in click order, off the UI thread."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tray-action")

    def submit(self, job: Callable[[], None]) -> None:
        """Queue `job`; its exceptions are logged, never raised into the toolkit."""
        try:
            self._pool.submit(job).add_done_callback(self._report)
        except RuntimeError:  # shut down: the app is quitting
            log.debug("action dropped after shutdown")

    @staticmethod
    def _report(future: Future[None]) -> None:
        exc = future.exception()
        if exc is not None:
            log.error("menu action failed", exc_info=exc)

    def shutdown(self) -> None:
        """Stop taking jobs; the running one finishes on its own."""
        self._pool.shutdown(wait=False, cancel_futures=True)


class MenuActions:
    """Turns clicks into controller calls; dialogs first where a value is needed."""

    def __init__(self, controller: TrayController, ask_text: AskText, submit: Submit) -> None:
        self._controller = controller
        self._ask_text = ask_text
        self._submit = submit

    def invoke(self, action: Action) -> None:
        """Handle one click; returns at once (work goes to `submit`, input to a dialog)."""
        c = self._controller
        arg = action.arg
        if action.kind == "track":
            self._submit(lambda: c.track_session(arg))
        elif action.kind == "rename" and arg is not None:
            self._ask_text(RENAME_TITLE, RENAME_PROMPT, action.prefill, self._renamed(arg))
        elif action.kind == "limit" and arg is not None:
            self._submit(lambda: c.set_limit(arg, None))
        elif action.kind == "custom_limit":
            prompt = "Tokens per 5-hour block (e.g. 1500000, 1.5M or 900k):"
            self._ask_text("Custom limit", prompt, action.prefill, self._custom_limit)
        elif action.kind == "notifications":
            self._submit(lambda: c.set_notifications(arg == "on"))
        elif action.kind == "autostart":
            self._submit(lambda: c.set_autostart(arg == "on"))
        elif action.kind == "model" and arg is not None:
            self._submit(lambda: c.set_model(arg))
        elif action.kind == "auto_switch":
            self._submit(lambda: c.set_auto_switch(arg == "on"))
        elif action.kind == "budget" and arg is not None:
            self._ask_text(*budget_prompt(arg), action.prefill, self._budget(arg))
        elif action.kind == "open_dashboard":
            self._submit(c.open_dashboard)
        elif action.kind == "open_data":
            self._submit(c.open_data_folder)
        elif action.kind == "quit":
            self._submit(c.quit)

    def _renamed(self, session_id: str) -> Callable[[str | None], None]:
        def done(text: str | None) -> None:
            if text is None:  # Cancel changes nothing
                return
            name = text.strip()
            problem = text_problem(name, "name", NAME_MAX)
            if problem is not None:
                self._ask_again(session_id, problem, name)
                return

            def rename() -> None:
                refused = self._controller.rename_session(session_id, name)
                if refused:  # a duplicate or an id look-alike: the service knows every name
                    self._ask_again(session_id, refused, name)

            self._submit(rename)

        return done

    def _ask_again(self, session_id: str, problem: str, name: str) -> None:
        """Show the dialog again with why the name was refused, prefilled with it cleaned."""
        log.info("name refused: %s", problem)
        prompt = f"{clean(problem)}.\n{RENAME_PROMPT}"
        self._ask_text(RENAME_TITLE, prompt, clean(name, NAME_MAX), self._renamed(session_id))

    def _budget(self, period: str) -> Callable[[str | None], None]:
        def done(text: str | None) -> None:
            if text is None:  # Cancel changes nothing
                return
            try:
                usd = parse_usd(text)
            except ValueError:
                log.warning("budget %r is not an amount of dollars; unchanged", text)
                return
            self._submit(lambda: self._controller.set_budget(period, usd))

        return done

    def _custom_limit(self, text: str | None) -> None:
        if text is None:
            return
        tokens = parse_tokens(text)
        if tokens is None:
            log.warning("custom limit %r is not a token count; limit unchanged", text)
            return
        self._submit(lambda: self._controller.set_limit("custom", tokens))
