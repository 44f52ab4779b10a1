"""Out-of-range and junk values make their line a bad line (docs/input-safety.md)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.builders import assistant
from tray_app.usage.model import Entry, ResetNotice
from tray_app.usage.parse import (
    EARLIEST,
    LATEST,
    MAX_COUNT,
    Rejected,
    extract,
    parse_timestamp,
)

COUNT_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
)
BAD_COUNTS = [2**63, 2**64, MAX_COUNT, 1e30, -1, -(2**63), 1.5, "7", True, False, [1], {"a": 1}]


@pytest.mark.parametrize("field", COUNT_FIELDS)
@pytest.mark.parametrize("value", BAD_COUNTS, ids=repr)
def test_bad_counts_reject_the_line(field: str, value: object) -> None:
    line = assistant("msg_1", 5)
    line["message"]["usage"][field] = value
    got = extract(line)
    assert isinstance(got, Rejected) and field in got.reason


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("ephemeral_1h_input_tokens", 2**63),
        ("ephemeral_5m_input_tokens", -3),
        ("ephemeral_5m_input_tokens", 0.5),
    ],
)
def test_bad_cache_breakdown_rejects_the_line(where: str, value: object) -> None:
    line = assistant("msg_1", 5, cache_1h=10)
    line["message"]["usage"]["cache_creation"][where] = value
    assert isinstance(extract(line), Rejected)


def test_bad_web_search_and_cost_reject_the_line() -> None:
    line = assistant("msg_1", 5, server_tool_use={"web_search_requests": 10**20})
    assert extract(line) == Rejected("web_search_requests out of range")
    line = assistant("msg_1", 5)
    for cost in (1e30, -0.5):
        line["costUSD"] = cost
        assert extract(line) == Rejected("costUSD out of range")
    line["costUSD"] = "free"  # not a number: ignored, the price table decides
    got = extract(line)
    assert isinstance(got, Entry) and got.cost_usd is None


def test_largest_allowed_values_and_integral_floats_count() -> None:
    top = MAX_COUNT - 1
    line = assistant("msg_1", top, input_tokens=top, cache_read=top)
    line["message"]["usage"]["cache_creation_input_tokens"] = 7.0
    line["message"]["usage"]["cache_creation"] = {}
    got = extract(line)
    assert isinstance(got, Entry)
    assert (got.input_tokens, got.output_tokens, got.cache_read_tokens) == (top, top, top)
    assert got.cache_5m_tokens == 7 and type(got.cache_5m_tokens) is int


def test_null_counts_read_as_absent() -> None:
    line = assistant("msg_1", 5)
    line["message"]["usage"]["cache_read_input_tokens"] = None
    got = extract(line)
    assert isinstance(got, Entry) and got.cache_read_tokens == 0


@pytest.mark.parametrize(
    "stamp",
    [
        "9999-12-31T23:59:59Z",
        "9999-12-31T23:59:59-01:00",
        "0001-01-01T00:00:00+01:00",
        "1969-12-31T23:59:59Z",
        "1999-12-31T23:59:59Z",
        "2100-01-01T00:00:00Z",
        1e20,
        -5,
        0,
        "yesterday",
        "",
        None,
        True,
        [2026],
    ],
    ids=repr,
)
def test_bad_timestamps_reject_the_line(stamp: object) -> None:
    line = assistant("msg_1", 5)
    line["timestamp"] = stamp
    assert extract(line) == Rejected("timestamp missing, unparsable or out of range")
    assert parse_timestamp(stamp) is None


def test_timestamp_bounds_are_half_open() -> None:
    assert parse_timestamp("2000-01-01T00:00:00Z") == EARLIEST
    assert parse_timestamp(LATEST - 1) == LATEST - 1
    assert parse_timestamp(LATEST) is None
    assert parse_timestamp(1770912147718) == pytest.approx(1770912147.718)  # milliseconds


def test_reset_times_out_of_range_are_dropped() -> None:
    line = assistant("msg_syn", 0, model="<synthetic>")
    line["message"]["content"] = [{"type": "text", "text": "usage limit reached|99999999999"}]
    assert extract(line) is None
    line["message"]["content"] = []
    line["quotaLimits"] = {"resetsAt": "9999-01-01T00:00:00Z"}
    assert extract(line) is None


def _json(max_leaves: int = 20) -> st.SearchStrategy[Any]:
    leaves = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**63), max_value=2**64 - 1)  # what orjson reads as int
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=30)
    )
    return st.recursive(
        leaves,
        lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=12), kids),
        max_leaves=max_leaves,
    )


USAGE_KEYS = st.sampled_from(
    [*COUNT_FIELDS, "cache_creation", "server_tool_use", "speed", "inference_geo", "x"]
)


@st.composite
def mangled_lines(draw: st.DrawFn) -> dict[str, Any]:
    """A real-shaped assistant line with random values swapped in at random places."""
    line = assistant("msg_h", 5, cache_1h=3)
    for _ in range(draw(st.integers(0, 4))):
        where = draw(st.sampled_from(["usage", "message", "top"]))
        value = draw(_json())
        message = line.get("message")
        usage = message.get("usage") if isinstance(message, dict) else None
        if where == "usage" and isinstance(usage, dict):
            usage[draw(USAGE_KEYS)] = value
        elif where == "message" and isinstance(message, dict):
            key = draw(st.sampled_from(["id", "model", "usage", "content"]))
            message[key] = value
        else:
            key = draw(
                st.sampled_from(
                    ["timestamp", "sessionId", "requestId", "costUSD", "cwd", "message", "type"]
                )
            )
            line[key] = value
    return line


@settings(max_examples=400, deadline=None)
@given(mangled_lines())
def test_extract_never_raises_and_keeps_values_in_bounds(line: dict[str, Any]) -> None:
    got = extract(line)
    assert got is None or isinstance(got, Entry | ResetNotice | Rejected)
    if isinstance(got, Entry):
        for value in (
            got.input_tokens,
            got.output_tokens,
            got.cache_read_tokens,
            got.cache_1h_tokens,
            got.web_search_requests,
        ):
            assert type(value) is int and 0 <= value < MAX_COUNT
        assert 0 <= got.cache_5m_tokens < 2 * MAX_COUNT
        assert EARLIEST <= got.timestamp < LATEST
        assert got.cost_usd is None or 0 <= got.cost_usd <= 1e6
    if isinstance(got, ResetNotice):
        assert EARLIEST <= got.resets_at < LATEST


@settings(max_examples=300, deadline=None)
@given(_json(max_leaves=40))
def test_extract_never_raises_on_any_json(obj: Any) -> None:
    got = extract(orjson.loads(orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS)))
    assert got is None or isinstance(got, Entry | ResetNotice | Rejected)
