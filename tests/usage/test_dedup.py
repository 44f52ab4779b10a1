"""docs/counting-rules.md: one count per response, the max-output copy wins, globally."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.builders import assistant, progress_copy
from tray_app.usage.dedup import Deduper, dedupe, merge_row, rank
from tray_app.usage.model import Entry
from tray_app.usage.parse import extract


def _e(line: dict[str, object]) -> Entry:
    item = extract(line)
    assert isinstance(item, Entry)
    return item


def test_streaming_lines_count_once_with_the_largest_output() -> None:
    copies = [_e(assistant("msg_a", out)) for out in (1, 12, 30, 412)]
    winners = dedupe(copies)
    assert len(winners) == 1
    assert winners[0].output_tokens == 412  # first-wins would give 1


def test_order_does_not_matter_for_the_winner() -> None:
    copies = [_e(assistant("msg_a", out)) for out in (412, 1, 30)]
    assert dedupe(copies)[0].output_tokens == 412


def test_winner_fields_are_never_mixed_or_added() -> None:
    a = _e(assistant("msg_a", 5, input_tokens=100, cache_read=7))
    b = _e(assistant("msg_a", 50, input_tokens=3, cache_read=0, model="claude-sonnet-4-5"))
    (w,) = dedupe([a, b])
    assert (w.input_tokens, w.output_tokens, w.cache_read_tokens, w.model) == (
        3,
        50,
        0,
        "claude-sonnet-4-5",
    )


def test_tie_on_output_goes_to_larger_total_then_non_sidechain_then_first() -> None:
    small = _e(assistant("msg_a", 9, input_tokens=1))
    big = _e(assistant("msg_a", 9, input_tokens=5))
    assert dedupe([small, big])[0].input_tokens == 5
    side = _e(assistant("msg_b", 9, sidechain=True, request="r1"))
    main = _e(assistant("msg_b", 9, sidechain=False, request="r2"))
    assert dedupe([side, main])[0].request_id == "r2"
    first = _e(assistant("msg_c", 9, request="r1"))
    second = _e(assistant("msg_c", 9, request="r2"))
    assert dedupe([first, second])[0].request_id == "r1"


def test_progress_copy_is_a_candidate_not_an_extra_response() -> None:
    own = assistant("msg_sub", 40, session="parent")
    copies = [_e(own), _e(progress_copy(own, "parent"))]
    assert len(dedupe(copies)) == 1
    # Only in a progress line: still counted once.
    only = _e(progress_copy(assistant("msg_only", 7, session="parent"), "parent"))
    assert only.sidechain and only.output_tokens == 7


def test_progress_copy_with_more_output_wins() -> None:
    own = assistant("msg_sub", 4)
    bigger = progress_copy(assistant("msg_sub", 400))
    (w,) = dedupe([_e(own), _e(bigger)])
    assert w.output_tokens == 400


def test_global_scope_across_sessions_keeps_first_seen_session() -> None:
    original = _e(assistant("msg_a", 10, session="orig", minutes=0))
    resumed = _e(assistant("msg_a", 10, session="resumed", minutes=90))
    (w,) = dedupe([original, resumed])
    assert w.session_id == "orig"
    # A larger copy from the resumed file replaces usage but not attribution or time.
    grown = _e(assistant("msg_a", 99, session="resumed", minutes=90))
    (w2,) = dedupe([original, grown])
    assert (w2.session_id, w2.output_tokens, w2.timestamp) == ("orig", 99, original.timestamp)


def test_non_msg_ids_key_on_session_id_and_request() -> None:
    a = _e(assistant("gw-1", 5, session="s1", request="r1"))
    b = _e(assistant("gw-1", 5, session="s2", request="r1"))
    c = _e(assistant("gw-1", 6, session="s1", request="r2"))
    assert len(dedupe([a, b, c])) == 3
    btw = _e(assistant("msg_parent", 5, request="r_btw"))
    parent = _e(assistant("msg_parent", 5, request="r_main"))
    assert len(dedupe([parent, btw])) == 1  # /btw replay reuses msg id: one response


def test_offer_reports_replacements() -> None:
    d = Deduper()
    first = d.offer(_e(assistant("msg_a", 1)))
    assert first is not None and first.old is None
    assert d.offer(_e(assistant("msg_a", 1))) is None
    change = d.offer(_e(assistant("msg_a", 8)))
    assert change is not None and change.old is not None
    assert (change.old.output_tokens, change.new.output_tokens) == (1, 8)
    assert len(d) == 1


def test_time_is_the_earliest_copys_even_when_a_later_copy_is_counted() -> None:
    # The streaming copies of one response: the first line (small output) is the earliest.
    early = _e(assistant("msg_a", 1, session="s1", minutes=0))
    late_big = _e(assistant("msg_a", 90, session="s2", minutes=0.05))
    (w,) = dedupe([late_big, early])  # the later copy's file was read first
    assert (w.output_tokens, w.session_id, w.timestamp) == (90, "s2", early.timestamp)


def test_an_earlier_losing_copy_moves_the_time_and_reports_a_change() -> None:
    d = Deduper()
    big = _e(assistant("msg_a", 90, minutes=1))
    d.offer(big)
    small_early = _e(assistant("msg_a", 2, minutes=0))
    change = d.offer(small_early)
    assert change is not None and change.old == big
    assert (change.new.output_tokens, change.new.timestamp) == (90, small_early.timestamp)
    assert d.offer(_e(assistant("msg_a", 2, minutes=0.5))) is None  # not earlier: no change


_COUNT = st.integers(0, 3)  # small: ties in every field are common


@given(
    st.tuples(_COUNT, _COUNT, _COUNT, _COUNT, _COUNT, st.booleans(), st.integers(0, 2)),
    st.tuples(_COUNT, _COUNT, _COUNT, _COUNT, _COUNT, st.booleans(), st.integers(0, 2)),
)
def test_merge_row_follows_rank_and_keeps_the_earliest_time(
    a: tuple[int, int, int, int, int, bool, int], b: tuple[int, int, int, int, int, bool, int]
) -> None:
    def row(fields: tuple[int, int, int, int, int, bool, int], session: str) -> tuple[object, ...]:
        i, o, c5, c1, cr, side, t = fields
        return Entry("k", float(t), session, "m", i, o, c5, c1, cr, sidechain=side)[:]

    old, new = row(a, "first"), row(b, "second")
    merged = merge_row(old, new)
    earliest = min(old[1], new[1])
    if rank(new) <= rank(old):  # the definition merge_row spells out field by field
        assert merged == (None if earliest == old[1] else (*old[:1], earliest, *old[2:]))
    else:
        assert merged == (old[0], earliest, "first", *new[3:16], old[16])
