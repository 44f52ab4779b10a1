"""the counting rules: 5-hour blocks, strict boundaries, gaps, active state, burn rate, resets."""

from __future__ import annotations

import pytest

from tests.builders import T0, entry
from tray_app.usage.blocks import active_block, build_blocks, floor_hour
from tray_app.usage.burn import MIN_RATE_SPAN
from tray_app.usage.model import HOUR, ResetNotice

START = floor_hour(T0.timestamp())  # 21:00 UTC
FAR = START + 1000 * HOUR


def free(_: object) -> float:
    return 0.0


def test_block_starts_at_the_floored_utc_hour_and_lasts_five_hours() -> None:
    (b,) = build_blocks([entry(0)], FAR, free)
    assert b.start == START and b.end == START + 5 * HOUR
    assert b.first_activity == T0.timestamp()


def test_response_exactly_at_start_plus_5h_stays_in_the_block() -> None:
    # T0 is 21:11:59; a response at 02:00:00 is exactly start + 5 h.
    at_end = (START + 5 * HOUR - T0.timestamp()) / 60
    blocks = build_blocks([entry(0), entry(60), entry(at_end)], FAR, free)
    assert len(blocks) == 1  # `>=` would open a second block here
    assert blocks[0].totals.responses == 3


def test_one_second_past_start_plus_5h_opens_a_new_block_without_gap() -> None:
    past = (START + 5 * HOUR + 1 - T0.timestamp()) / 60
    blocks = build_blocks([entry(0), entry(200), entry(past)], FAR, free)
    assert [b.is_gap for b in blocks] == [False, False]
    assert blocks[1].start == START + 5 * HOUR


def test_gap_bounds_run_from_last_response_plus_5h_to_the_next_response() -> None:
    last = entry(10)
    nxt = entry(10 + 5 * 60 + 30)  # 5 h 30 min after the previous response
    blocks = build_blocks([entry(0), last, nxt], FAR, free)
    assert [b.is_gap for b in blocks] == [False, True, False]
    gap = blocks[1]
    assert gap.start == last.timestamp + 5 * HOUR
    assert gap.end == nxt.timestamp
    assert gap.totals.responses == 0
    assert blocks[2].start == floor_hour(nxt.timestamp)


def test_exactly_5h_between_responses_is_not_a_gap() -> None:
    # Second response is exactly 5 h after the first, but > 5 h after the block start.
    blocks = build_blocks([entry(0), entry(300)], FAR, free)
    assert [b.is_gap for b in blocks] == [False, False]


def test_active_needs_now_before_end_and_last_response_within_5h() -> None:
    e = entry(0)
    (b,) = build_blocks([e], START + 5 * HOUR - 1, free)
    assert b.is_active
    (b,) = build_blocks([e], START + 5 * HOUR, free)
    assert not b.is_active  # now == end: expired
    assert active_block(build_blocks([e], START + 5 * HOUR, free)) is None


def test_active_ends_when_last_response_is_5h_old_even_before_block_end() -> None:
    # Official reset pushes the end far out; the 5 h idle rule still ends activity.
    e = entry(0)
    notice = ResetNotice(e.timestamp + 1, START + 10 * HOUR)
    (b,) = build_blocks([e], e.timestamp + 5 * HOUR, free, [notice])
    assert b.end == START + 10 * HOUR and b.official_reset
    assert not b.is_active
    (b,) = build_blocks([e], e.timestamp + 5 * HOUR - 1, free, [notice])
    assert b.is_active


def test_official_reset_overrides_end_and_splits_at_it() -> None:
    e1 = entry(0)
    notice = ResetNotice(e1.timestamp + 60, START + 3 * HOUR)
    e2 = entry((START + 3 * HOUR - T0.timestamp()) / 60 + 1)  # just after the official reset
    blocks = build_blocks([e1, e2], FAR, free, [notice])
    assert len(blocks) == 2
    assert blocks[0].end == START + 3 * HOUR and blocks[0].official_reset
    assert blocks[1].start == floor_hour(e2.timestamp)


def test_two_notices_written_at_one_time_end_the_block_at_the_later_reset_in_any_order() -> None:
    e = entry(0)
    a = ResetNotice(e.timestamp + 60, START + 2 * HOUR)
    b = ResetNotice(e.timestamp + 60, START + 3 * HOUR)
    # Read in either order (a set of notices has none): the later reset wins.
    assert [x.end for x in build_blocks([e], FAR, free, [a, b])] == [START + 3 * HOUR]
    assert [x.end for x in build_blocks([e], FAR, free, [b, a])] == [START + 3 * HOUR]


def test_block_tokens_per_model_and_totals() -> None:
    es = [entry(0, 100, model="a"), entry(1, 50, model="b"), entry(2, 25, model="a")]
    (b,) = build_blocks(es, FAR, free)
    assert b.tokens == 175
    assert [(m.model, m.totals.total_tokens) for m in b.models] == [("a", 125), ("b", 50)]


def test_burn_rate_and_projection() -> None:
    es = [entry(0, 1000), entry(10, 1000)]  # 2000 tokens over 10 minutes
    now = es[1].timestamp
    (b,) = build_blocks(es, now, lambda e: e.input_tokens / 1000.0)
    rate = b.burn_rate()
    assert rate is not None
    assert rate.tokens_per_minute == pytest.approx(200.0)
    assert rate.usd_per_hour == pytest.approx(2.0 / 10 * 60)  # $2 over 10 min = $12/h
    minutes_left = (b.end - now) / 60
    proj = b.projection(now)
    assert proj is not None
    assert proj.tokens == round(2000 + 200 * minutes_left)
    assert proj.cost_usd == pytest.approx(2.0 + 12.0 * minutes_left / 60)


def test_single_response_has_no_burn_rate() -> None:
    (b,) = build_blocks([entry(0)], FAR, free)
    assert b.burn_rate() is None and b.projection(FAR) is None


def test_seconds_of_data_give_no_burn_rate_or_projection() -> None:
    # Three responses 2 s apart: the old code said 3.9B tok/min-style figures here.
    es = [entry(m / 60, 400_000) for m in (0, 2, 4)]
    now = es[-1].timestamp + 1
    (b,) = build_blocks(es, now, lambda e: 50.0)
    assert b.is_active
    assert b.burn_rate() is None
    assert b.projection(now) is None


def test_burn_rate_appears_once_the_span_reaches_the_minimum() -> None:
    just_under = [entry(0), entry((MIN_RATE_SPAN - 1) / 60)]
    (b,) = build_blocks(just_under, FAR, free)
    assert b.burn_rate() is None
    at_min = [entry(0, 100), entry(MIN_RATE_SPAN / 60, 100)]
    (b,) = build_blocks(at_min, FAR, free)
    rate = b.burn_rate()
    assert rate is not None and rate.tokens_per_minute == pytest.approx(200 / 5)


def test_unknown_cost_keeps_the_priced_part_and_marks_it() -> None:
    es = [entry(0, model="known"), entry(1, model="mystery"), entry(2, model="known")]
    (b,) = build_blocks(es, FAR, lambda e: 0.07 if e.model == "known" else None)
    assert b.totals.cost_usd == pytest.approx(0.14)
    assert not b.totals.cost_complete
    assert (b.totals.unpriced_responses, b.totals.unpriced_tokens) == (1, 100)
    shares = {m.model: m.totals for m in b.models}
    assert shares["known"].cost_complete and shares["known"].cost_usd == pytest.approx(0.14)
    assert not shares["mystery"].priced_any
