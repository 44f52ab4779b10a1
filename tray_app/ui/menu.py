"""The tray menu as plain data (testable without a display) and its pystray rendering."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import tzinfo
from typing import TYPE_CHECKING, Any, Literal, Protocol

from tray_app.service.snapshot import SessionSummary, Snapshot
from tray_app.ui.budget_menu import budget_rows
from tray_app.ui.model_menu import TITLE as MODEL_TITLE
from tray_app.ui.model_menu import ModelMenuState, expected_model, radio_rows
from tray_app.ui.model_menu import suggestion as model_suggestion
from tray_app.ui.tooltip import header_lines, safe_label
from tray_app.usage.formatting import compact
from tray_app.usage.text_safety import NAME_MAX, clean

if TYPE_CHECKING:
    from types import ModuleType

# ask_text(title, prompt, prefill, on_done): on_done(None) means Cancel.
AskText = Callable[[str, str, str, Callable[[str | None], None]], None]
Submit = Callable[[Callable[[], None]], None]

log = logging.getLogger(__name__)
MAX_SESSIONS = 8
RENAME_TITLE = "Rename tracked session"
RENAME_PROMPT = "Name for this session (empty clears it):"
Kind = Literal["label", "action", "check", "radio", "separator", "submenu"]
ActionKind = Literal[
    "track", "rename", "limit", "custom_limit", "notifications", "autostart", "open_data", "quit",
    "model", "auto_switch", "open_dashboard", "budget",
]  # fmt: skip


class TrayController(Protocol):
    """What the menu asks the app to do; called on the worker thread, so I/O is fine."""

    def track_session(self, session_id: str | None) -> None: ...  # None = automatic
    # "" clears the name; returns why the name was refused (duplicate, id look-alike), or None
    def rename_session(self, session_id: str, name: str) -> str | None: ...
    def set_limit(self, mode: str, tokens: int | None) -> None: ...  # "max" | "p90" | "custom"
    def set_notifications(self, enabled: bool) -> None: ...
    def set_autostart(self, enabled: bool) -> None: ...
    def set_model(self, name: str) -> None: ...  # an alias, profile name or "default"
    def set_auto_switch(self, enabled: bool) -> None: ...
    def open_data_folder(self) -> None: ...
    def open_dashboard(self) -> None: ...
    def set_budget(self, period: str, usd: float | None) -> None: ...  # None: no budget
    def quit(self) -> None: ...


@dataclass(frozen=True)
class UiState:
    """Settings the menu shows that do not come from snapshots."""

    limit_mode: str
    limit_tokens: int | None
    notifications: bool
    autostart: bool
    thresholds: tuple[int, ...] = (50, 80, 95)
    model: ModelMenuState = field(default_factory=ModelMenuState)
    budgets: tuple[tuple[str, float], ...] = ()  # (period, USD) of the budgets set


@dataclass(frozen=True, slots=True)
class Action:
    """What a click means; `arg` is the target value, `prefill` seeds a dialog."""

    kind: ActionKind
    arg: str | None = None
    prefill: str = ""


@dataclass(frozen=True, slots=True)
class Entry:
    """One menu row; equal models render equal menus (so unchanged menus are not rebuilt)."""

    text: str
    kind: Kind = "action"
    action: Action | None = None
    checked: bool = False
    enabled: bool = True
    children: tuple[Entry, ...] = ()


SEPARATOR = Entry("", "separator")


def _session_entries(snapshot: Snapshot | None) -> tuple[Entry, ...]:
    """Automatic first, then recent sessions (the tracked one kept even when older)."""
    auto = snapshot is None or snapshot.tracking_auto
    tracked = None if snapshot is None else snapshot.tracked_session
    recent = snapshot.recent_sessions[:MAX_SESSIONS] if snapshot else ()
    sessions: list[SessionSummary] = list(recent)
    if tracked is not None and all(s.session_id != tracked.session_id for s in sessions):
        sessions.append(tracked)
    rows = [Entry("Latest active (automatic)", "radio", Action("track"), checked=auto)]
    for s in sessions:
        text = f"{safe_label(s)} — {compact(s.totals.total_tokens)} tok"
        chosen = not auto and tracked is not None and tracked.session_id == s.session_id
        rows.append(Entry(text, "radio", Action("track", s.session_id), checked=chosen))
    return tuple(rows)


def _limit_entries(state: UiState) -> tuple[Entry, ...]:
    """Max / P90 / Custom…, the custom row showing its number."""
    custom = "Custom…"
    if state.limit_mode == "custom" and state.limit_tokens:
        custom = f"Custom… ({compact(state.limit_tokens)})"
    prefill = str(state.limit_tokens) if state.limit_tokens else ""
    return (
        Entry("Max of past blocks", "radio", Action("limit", "max"), state.limit_mode == "max"),
        Entry("P90 of past blocks", "radio", Action("limit", "p90"), state.limit_mode == "p90"),
        Entry(
            custom,
            "radio",
            Action("custom_limit", prefill=prefill),
            state.limit_mode == "custom",
        ),
    )


def _budget_entries(state: UiState) -> tuple[Entry, ...]:
    """Daily / weekly / monthly, each showing its budget and opening a dialog to change it."""
    rows = budget_rows(dict(state.budgets))
    return tuple(Entry(text, action=Action("budget", period, fill)) for text, period, fill in rows)


def _model_entries(state: ModelMenuState, hint: str = "") -> tuple[Entry, ...]:
    """Radio rows for the model, then the auto-switch toggle (see ui/model_menu.py)."""
    labels = [Entry(text, "label", enabled=False) for text in (state.note, hint) if text]
    note = (*labels, SEPARATOR) if labels else ()
    rows = tuple(
        Entry(r.text, "radio", Action("model", r.arg), r.checked, r.enabled)
        for r in radio_rows(state)
    )
    toggle = Action("auto_switch", "off" if state.auto_switch else "on")
    auto = Entry("Auto-switch near limits", "check", toggle, state.auto_switch)
    return (*note, *rows, SEPARATOR, auto)


def build_menu(
    snapshot: Snapshot | None, state: UiState, now: float, tz: tzinfo | None
) -> tuple[Entry, ...]:
    """The whole menu for a snapshot and the current settings."""
    header = tuple(Entry(line, "label", enabled=False) for line in header_lines(snapshot, now, tz))
    tracked = None if snapshot is None else snapshot.tracked_session
    # The dialog is prefilled with the name as shown: an old ledger's bad name arrives cleaned.
    rename = (
        Action("rename", tracked.session_id, clean(tracked.name, NAME_MAX)) if tracked else None
    )
    hint = model_suggestion(state.model, snapshot, now)
    return (
        *header,
        SEPARATOR,
        Entry("Tracked session", "submenu", children=_session_entries(snapshot)),
        Entry("Rename tracked session…", action=rename, enabled=rename is not None),
        Entry("Limit", "submenu", children=_limit_entries(state)),
        Entry(MODEL_TITLE, "submenu", children=_model_entries(state.model, hint)),
        Entry("Budgets", "submenu", children=_budget_entries(state)),
        SEPARATOR,
        Entry(
            "Notifications",
            "check",
            Action("notifications", "off" if state.notifications else "on"),
            state.notifications,
        ),
        Entry(
            "Launch at login",
            "check",
            Action("autostart", "off" if state.autostart else "on"),
            state.autostart,
        ),
        Entry("Open dashboard", action=Action("open_dashboard")),
        Entry("Open data folder", action=Action("open_data")),
        SEPARATOR,
        Entry("Quit", action=Action("quit")),
    )


def expected_state(state: UiState, action: Action) -> UiState:
    """The settings a toggle or limit click asks for, to show before the app confirms."""
    if action.kind == "notifications":
        return replace(state, notifications=action.arg == "on")
    if action.kind == "autostart":
        return replace(state, autostart=action.arg == "on")
    if action.kind == "limit" and action.arg:
        return replace(state, limit_mode=action.arg, limit_tokens=None)
    if action.kind in ("model", "auto_switch"):
        return replace(state, model=expected_model(state.model, action.kind, action.arg))
    return state


def find(entries: Sequence[Entry], text: str) -> Entry:
    """The entry whose text starts with `text`, searching submenus too."""
    for entry in entries:
        if entry.text.startswith(text) and entry.kind != "separator":
            return entry
        if entry.children:
            try:
                return find(entry.children, text)
            except KeyError:
                pass
    raise KeyError(text)


def to_pystray(
    entries: Sequence[Entry], invoke: Callable[[Action], None], pystray: ModuleType
) -> Any:
    """A `pystray.Menu` of constant items; the module is passed in to keep imports lazy."""

    def callback(action: Action | None) -> Callable[[Any, Any], None]:
        def run(_icon: Any, _item: Any) -> None:
            if action is not None:
                invoke(action)

        return run

    def item(entry: Entry) -> Any:
        if entry.kind == "separator":
            return pystray.Menu.SEPARATOR
        if entry.kind == "submenu":
            sub = pystray.Menu(*(item(c) for c in entry.children))
            return pystray.MenuItem(entry.text, sub, enabled=entry.enabled)
        checked = None
        if entry.kind in ("check", "radio"):
            value = entry.checked
            checked = lambda _item: value  # noqa: E731 - pystray wants a callable
        return pystray.MenuItem(
            entry.text,
            callback(entry.action),
            checked=checked,
            radio=entry.kind == "radio",
            enabled=entry.enabled,
        )

    return pystray.Menu(*(item(e) for e in entries))
