"""`usual_row` reads what the full rules read from a line, or declines (then they decide)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import assistant, progress_copy
from tests.usage.usage_lines import real_lines, typed, usage_lines
from tray_app.adapters import usual_line
from tray_app.usage.model import Entry
from tray_app.usage.parse import NO_IDS, extract, parse_timestamp


def plain_entry(obj: object) -> Entry | None:
    """`usual_row` of the line `obj` is written as, as an Entry."""
    row = usual_line.usual_row(orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS))
    return None if row is None else tuple.__new__(Entry, row)


def line_declines_or_agrees(raw: bytes) -> bool:
    """`usual_row` gives None or the very Entry the full rules give for the decoded line.

    The one known difference: a number too large for a double in a part the usual path
    skips, which the full decode calls malformed (docs/counting-rules.md).
    """
    row = usual_line.usual_row(raw)
    if row is None:
        return True
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        assert usual_line.OVERFLOW in str(exc), raw
        return True
    assert typed(tuple.__new__(Entry, row)) == typed(extract(obj))  # extract: the full rules
    assert not row[0].endswith(NO_IDS)  # those the reader keys by place
    return True


def declines_or_agrees(obj: dict[str, Any]) -> bool:
    """`line_declines_or_agrees` of the line `obj` is written as."""
    try:
        raw = orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError:
        return True  # no line holds it
    return line_declines_or_agrees(raw)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(usage_lines())
def test_odd_lines_decline_or_agree(line: dict[str, Any]) -> None:
    assert declines_or_agrees(line)


OPTIONAL = st.sampled_from(
    [
        ("top", "costUSD", None),
        ("top", "isApiErrorMessage", False),
        ("top", "requestId", None),
        ("top", "isSidechain", "yes"),
        ("usage", "cache_creation", None),
        ("usage", "cache_creation_input_tokens", 1000),
        ("usage", "cache_creation", {"ephemeral_1h_input_tokens": 3}),
        ("usage", "server_tool_use", None),
        ("usage", "server_tool_use", {}),
        ("usage", "speed", None),
        ("usage", "inference_geo", 1),
        ("message", "id", f"msg_x{NO_IDS}"),
        ("top", "timestamp", "2026-02-12T16:02:27+05:45"),
        ("top", "timestamp", "2026-02-12 16:02:27"),
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(OPTIONAL, max_size=4), st.integers(0, 50))
def test_optional_keys_with_unusual_values_decline_or_agree(
    changes: list[tuple[str, str, object]], output: int
) -> None:
    line = assistant("msg_01A", output, server_tool_use={"web_search_requests": 1})
    holders = {"top": line, "message": line["message"], "usage": line["message"]["usage"]}
    for where, key, value in changes:
        holders[where][key] = value
    assert declines_or_agrees(line)


def test_the_bound_is_a_power_of_two() -> None:
    # usual_row checks the bound with one shift of the OR of all counts.
    assert 1 << usual_line.COUNT_BITS == usual_line.MAX_COUNT


def test_the_usual_line_takes_the_plain_path() -> None:
    line = assistant("msg_01A", 42, cache_5m=5, cache_1h=7, speed="fast", inference_geo="us")
    entry = plain_entry(line)
    assert entry is not None
    assert (entry.key, entry.output_tokens, entry.cache_5m_tokens, entry.cache_1h_tokens) == (
        "msg_01A", 42, 5, 7,
    )  # fmt: skip
    assert (entry.speed, entry.geo, entry.request_id, entry.cwd) == (
        "fast", "us", "req_1", "/home/u/proj",
    )  # fmt: skip
    assert type(entry) is Entry


def test_a_progress_copy_takes_the_plain_path_as_a_sidechain_copy() -> None:
    inner = assistant("msg_01A", 42, minutes=3)
    inner["uuid"] = "u1"
    line = progress_copy(inner, session="parent")
    entry = plain_entry(line)
    assert entry is not None and declines_or_agrees(line)
    assert (entry.sidechain, entry.session_id, entry.output_tokens) == (True, "parent", 42)
    line["data"]["type"] = "hook_progress"
    assert plain_entry(line) is None and extract(line) is None


@pytest.mark.parametrize(
    ("where", "key", "value"),
    [
        ("top", "type", "progress"),
        ("top", "costUSD", 0.5),
        ("top", "isApiErrorMessage", True),
        ("message", "model", "<synthetic>"),
        ("message", "id", "req-less-id"),
        ("message", "id", f"msg_1{NO_IDS}"),
        ("usage", "output_tokens", 1.0),
        ("usage", "input_tokens", True),
        ("usage", "input_tokens", -1),
        ("usage", "cache_read_input_tokens", 1 << 40),
        ("top", "timestamp", "1999-12-31T23:59:59Z"),
        ("top", "sessionId", None),
    ],
)
def test_unusual_values_decline(where: str, key: str, value: object) -> None:
    line = assistant("msg_1", 10)
    {"top": line, "message": line["message"], "usage": line["message"]["usage"]}[where][key] = value
    assert plain_entry(line) is None


@pytest.mark.parametrize(
    ("breakdown", "five", "hour"),
    [({"ephemeral_5m_input_tokens": 1, "ephemeral_1h_input_tokens": 2}, 8, 2), (None, 10, 0)],
)
def test_cache_writes_the_breakdown_leaves_out_are_5m(
    breakdown: dict[str, int] | None, five: int, hour: int
) -> None:
    line = assistant("msg_1", 10)
    line["message"]["usage"]["cache_creation_input_tokens"] = 10
    line["message"]["usage"]["cache_creation"] = breakdown
    entry = plain_entry(line)
    assert entry is not None and declines_or_agrees(line)
    assert (entry.cache_5m_tokens, entry.cache_1h_tokens) == (five, hour)


def test_a_missing_usage_holder_declines() -> None:
    line = assistant("msg_1", 10)
    line["message"] = ["not", "a", "dict"]
    assert plain_entry(line) is None
    line["message"] = "text"
    assert plain_entry(line) is None


def test_real_lines_take_the_plain_path_and_agree() -> None:
    decoded = [orjson.loads(raw) for raw in real_lines()]
    tops = [o for o in decoded if o.get("type") == "assistant"]
    taken = [o for o in tops if plain_entry(o) is not None]
    assert len(taken) > 0.8 * len(tops)  # not vacuous: the real shape is the usual one
    for obj in decoded:
        assert declines_or_agrees(obj)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32))
def test_fuzzed_real_lines_decline_or_agree(seed: int) -> None:
    from scripts.fuzz_input import Mutator

    mutator = Mutator(real_lines(), random.Random(seed))
    for _ in range(20):
        assert line_declines_or_agrees(mutator.mutate())


STAMPS = st.one_of(
    st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2110, 1, 1), timezones=st.just(UTC)
    ).map(lambda t: t.isoformat().replace("+00:00", "Z")),
    st.datetimes(timezones=st.timezones()).map(lambda t: t.isoformat()),
    st.datetimes().map(lambda t: t.isoformat(timespec="milliseconds")),
    st.text(alphabet="0123456789-T:.Z+ ", max_size=30),
)


@settings(max_examples=500, deadline=None)
@given(STAMPS)
def test_times_are_exactly_what_the_full_rules_read(stamp: str) -> None:
    line = assistant("msg_1", 10)
    line["timestamp"] = stamp
    assert declines_or_agrees(line)
    entry = plain_entry(line)
    if entry is not None:
        assert entry.timestamp == parse_timestamp(stamp)


def _raw() -> bytes:
    line = assistant("msg_1", 10)
    line["message"]["content"] = [{"type": "text", "text": "PLACE"}]
    return orjson.dumps(line)


@pytest.mark.parametrize(
    ("inside", "usual", "full"),
    [
        (b'"\xff\xfe"', False, False),  # not UTF-8 in text the usual path skips
        (b'"\xed\xa0\x80"', False, False),  # a surrogate written as UTF-8
        (b'"\\ud800"', False, False),  # a lone surrogate escape
        (b'"\xe2\x94\x9c caf\xc3\xa9"', True, True),  # UTF-8 text
        (b"[" * 1000 + b"]" * 1000, False, True),  # deeper than msgspec goes: the full rules
        (b"[" * 1100 + b"]" * 1100, False, False),  # too deep for both
        (b"1e400", True, False),  # the known difference (docs/counting-rules.md)
        (b"NaN", False, False),
        (b"01", False, False),
        (b'"a\x01b"', False, False),  # a raw control character
        (b"123456789012345678901234567890", True, True),
    ],
)
def test_skipped_text_the_usual_path_declines_or_reads_as_the_full_rules(
    inside: bytes, usual: bool, full: bool
) -> None:
    raw = _raw().replace(b'"PLACE"', inside)
    assert (usual_line.usual_row(raw) is not None) is usual
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        obj = None
    assert (obj is not None) is full
    assert line_declines_or_agrees(raw)


def test_duplicate_keys_take_the_last_value_as_the_full_rules() -> None:
    raw = _raw().replace(b'"output_tokens":10', b'"output_tokens":10,"output_tokens":12')
    row = usual_line.usual_row(raw)
    assert row is not None and row[5] == 12 and line_declines_or_agrees(raw)
    raw = _raw()[:-1] + b',"type":"user"}'  # the line's type, given twice
    assert usual_line.usual_row(raw) is None and extract(orjson.loads(raw)) is None


def test_a_byte_order_mark_is_left_to_the_full_path() -> None:
    assert usual_line.usual_row(b"\xef\xbb\xbf" + _raw()) is None


def test_nesting_orjson_refuses_is_left_to_it_whatever_the_recursion_limit() -> None:
    # msgspec's depth limit is the interpreter's recursion check: far above orjson's fixed
    # 1,024 on Python 3.12+, and here once the limit is raised.
    import sys

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(20_000)
    try:
        for depth in (1022, 1100, 3000):
            raw = _raw().replace(b'"PLACE"', b"[" * depth + b"]" * depth)
            assert usual_line.usual_row(raw) is None
            assert line_declines_or_agrees(raw)
    finally:
        sys.setrecursionlimit(limit)
    wide = _raw().replace(b'"PLACE"', b"[" + b"[]," * 1200 + b"[]]")  # many, but shallow
    assert usual_line.usual_row(wide) is None and extract(orjson.loads(wide)) is not None
