"""The time options of every report: the zone, --since/--until as epochs, and their label."""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo

from tray_app.cli.environment import CliError, ExitStatus


def local_tz(name: str | None) -> tzinfo:
    """`--timezone`/config zone, else the system's local zone."""
    if name:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # on use: ~3 ms of every start

        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise CliError(f"unknown timezone: {name}", ExitStatus.USAGE) from exc
    local = datetime.now().astimezone().tzinfo
    assert local is not None
    return local


def parse_when(text: str, tz: tzinfo, end_of_day: bool = False) -> float:
    """YYYY-MM-DD (a local day; inclusive for --until) or an ISO-8601 time → epoch."""
    try:
        if len(text) == 10:
            day = datetime.strptime(text, "%Y-%m-%d").date()
            moment = datetime.combine(day, time(), tz)
            return (moment + timedelta(days=1 if end_of_day else 0)).timestamp()
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise CliError(f"not a date or time: {text!r} (use YYYY-MM-DD)", ExitStatus.USAGE) from exc
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)).timestamp()


def window_label(since: str | None, until: str | None) -> str:
    """What --since/--until cover, as the user typed them: `2026-11-01 – 2026-11-20`."""
    if since and until:
        return f"{since} – {until}"
    if since:
        return f"Since {since}"
    return f"Until {until}" if until else "All time"
