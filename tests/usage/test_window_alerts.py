"""Weekly-window alerts: highest threshold once per window, lower ones silent, 5-hour apart."""

from __future__ import annotations

from tests.alert_memory import MemoryAlertLog
from tray_app.usage.alerts import AlertRules
from tray_app.usage.limits import Limit
from tray_app.usage.window_alerts import weekly_alerts

NOW = 1_800_000_000.0
RESET = NOW + 3 * 86400


def week(pct: float, resets: float = RESET) -> Limit:
    return Limit(None, "official", "seven_day", pct, NOW - 60, resets)


def test_once_per_window_and_threshold() -> None:
    memory, rules = MemoryAlertLog(), AlertRules((50, 80, 95))
    first = weekly_alerts(memory, [week(85)], NOW, rules)
    assert [a.title for a in first] == ["Claude usage at 80% of your weekly limit"]
    assert {k for _, k in memory.records} == {"seven_day:threshold:50", "seven_day:threshold:80"}
    # The same window a few seconds' jitter later: nothing new until 95 %.
    assert weekly_alerts(memory, [week(90, RESET + 3)], NOW + 60, rules) == []
    assert [a.kind for a in weekly_alerts(memory, [week(96)], NOW + 120, rules)] == [
        "seven_day:threshold:95"
    ]
    # Next week's window starts over.
    later = weekly_alerts(memory, [week(55, RESET + 7 * 86400)], RESET + 60, rules)
    assert [a.kind for a in later] == ["seven_day:threshold:50"]


def test_only_official_weekly_windows_alert() -> None:
    memory, rules = MemoryAlertLog(), AlertRules()
    limits = [
        Limit(None, "official", "five_hour", 99.0, NOW, NOW + 600),  # the block's own alerts
        Limit(None, "max", "seven_day", 99.0),  # no official figure: no weekly alert
        Limit(None, "official", "seven_day_opus", 60.0, NOW, RESET),
    ]
    assert [a.title for a in weekly_alerts(memory, limits, NOW, rules)] == [
        "Claude usage at 50% of your weekly Opus limit"
    ]
