"""Every human limit-message form of docs/official-limits.md → window and reset time."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.builders import T0, assistant
from tray_app.usage.limit_messages import LimitMessage, parse_limit_message
from tray_app.usage.model import ResetNotice
from tray_app.usage.parse import extract

# Written 2026-11-29 18:30 UTC.
AT = datetime(2026, 11, 29, 18, 30, tzinfo=UTC).timestamp()
PARIS = ZoneInfo("Europe/Paris")  # the user's own zone in these tests (19:30 local)


def at(y: int, mo: int, d: int, h: int, mi: int = 0, zone: str = "Europe/Paris") -> float:
    return datetime(y, mo, d, h, mi, tzinfo=ZoneInfo(zone)).timestamp()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # ∙ (U+2219), no zone: the user's zone; 2am is tomorrow.
        ("5-hour limit reached ∙ resets 2am", LimitMessage("five_hour", at(2026, 11, 30, 2))),
        # · (U+00B7), a zone and the upgrade hint after it; 2pm Auckland is 01:00 UTC.
        ("5-hour limit reached · resets 2pm (Pacific/Auckland) · /upgrade to Max 20x or turn "
         "on /extra-usage", LimitMessage("five_hour", at(2026, 11, 30, 14, 0, "Pacific/Auckland"))),
        ("Weekly limit reached · resets Dec 2, 7pm (Europe/Moscow)",
         LimitMessage("seven_day", at(2026, 12, 2, 19, 0, "Europe/Moscow"))),
        ("You've hit your limit · resets 2am (America/Buenos_Aires)",
         LimitMessage("five_hour", at(2026, 11, 30, 2, 0, "America/Buenos_Aires"))),
        ("You've hit your session limit", LimitMessage("five_hour", None)),
        ("You’ve hit your weekly limit", LimitMessage("seven_day", None)),  # curly apostrophe
        ("You've hit your Opus limit ∙ resets 9:30pm", LimitMessage("seven_day_opus",
                                                                  at(2026, 11, 29, 21, 30))),
        ("You're out of extra usage · resets 1pm (America/Los_Angeles)",
         LimitMessage("spend_limit", at(2026, 11, 29, 13, 0, "America/Los_Angeles"))),
    ],
)  # fmt: skip
def test_each_form(text: str, expected: LimitMessage) -> None:
    assert parse_limit_message(text, AT, PARIS) == expected


def test_a_date_already_past_this_year_is_next_year() -> None:
    got = parse_limit_message("Weekly limit reached · resets Jan 3, 7am (UTC)", AT, PARIS)
    assert got == LimitMessage("seven_day", datetime(2027, 1, 3, 7, tzinfo=UTC).timestamp())


def test_unknown_zone_falls_back_to_the_users_and_bad_dates_give_no_time() -> None:
    got = parse_limit_message("5-hour limit reached · resets 2am (Mars/Olympus)", AT, PARIS)
    assert got == LimitMessage("five_hour", at(2026, 11, 30, 2))
    got = parse_limit_message("Weekly limit reached · resets Feb 30, 7pm", AT, PARIS)
    assert got == LimitMessage("seven_day", None)


def test_other_text_is_not_a_limit_message() -> None:
    assert parse_limit_message("The weekly report is ready · resets nothing", AT) is None
    assert parse_limit_message("", AT) is None


@given(st.text(max_size=300))
def test_never_raises_and_resets_after_writing(text: str) -> None:
    got = parse_limit_message("5-hour limit reached · " + text, AT, PARIS)
    assert got is not None and (got.resets_at is None or got.resets_at > AT)


def test_a_five_hour_message_in_a_transcript_is_an_official_block_reset() -> None:
    line = assistant("msg_syn", 0, model="<synthetic>")  # written at T0, 21:11:59 UTC
    line["message"]["content"] = [
        {"type": "text", "text": "5-hour limit reached · resets 2am (UTC)"}
    ]
    notice = extract(line)
    assert notice == ResetNotice(T0.timestamp(), datetime(2026, 2, 11, 2, tzinfo=UTC).timestamp())
    # A weekly reset is days away: it is marked as the weekly window's (the scanner keeps
    # it out of the 5-hour block resets; docs/official-limits.md).
    line["message"]["content"] = [
        {"type": "text", "text": "Weekly limit reached · resets Feb 12, 7pm (UTC)"}
    ]
    week = datetime(2026, 2, 12, 19, tzinfo=UTC).timestamp()
    assert extract(line) == ResetNotice(T0.timestamp(), week, "seven_day")
