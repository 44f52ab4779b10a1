"""A zone's offset per stretch of quarter-hours equals asking the zone for every quarter."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tray_app.usage.local_quarters import offsets
from tray_app.usage.rollup import QUARTER


@pytest.mark.parametrize(
    "zone", ["UTC", "Europe/Berlin", "America/St_Johns", "Australia/Lord_Howe", "Asia/Kathmandu"]
)
def test_stretches_match_every_quarter_over_a_year(zone: str) -> None:
    tz = ZoneInfo(zone)
    q_lo = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp()) // QUARTER
    q_hi = q_lo + 366 * 96
    stretches = offsets(tz, q_lo, q_hi)
    assert stretches is not None
    starts = [q for q, _ in stretches]
    for q in range(q_lo, q_hi + 1, 7):  # every 7th quarter: all weekdays and hours
        i = max(i for i, s in enumerate(starts) if s <= q)
        delta = datetime.fromtimestamp(q * QUARTER, tz).utcoffset()
        assert delta is not None and stretches[i][1] == delta.total_seconds()
    # Berlin and St John's change twice a year; Lord Howe by 30 minutes, twice.
    assert len(stretches) == (1 if zone in ("UTC", "Asia/Kathmandu") else 3)


def test_an_offset_off_the_quarter_hour_is_refused() -> None:
    amsterdam_1930 = ZoneInfo("Europe/Amsterdam")  # +00:19:32 until 1937
    q = int(datetime(1930, 6, 1, tzinfo=UTC).timestamp()) // QUARTER
    assert offsets(amsterdam_1930, q, q + 96) is None
