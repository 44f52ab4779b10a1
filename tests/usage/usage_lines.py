"""Assistant lines with odd values and real usage lines: what the line readers are tested on."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import strategies as st

from tests.builders import REAL_FIXTURES, assistant, progress_copy
from tray_app.usage.model import Entry
from tray_app.usage.parse import MAX_COUNT


def typed(item: object) -> object:
    """Equality that also tells 1 from True and 1 from 1.0."""
    if isinstance(item, Entry):
        return [(type(v), v) for v in item]
    return item


ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.sampled_from([0, 1, MAX_COUNT - 1, MAX_COUNT, 2**63, -1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([5.0, 0.0, -0.0, 1e30, 2.0**40]),
    st.text(max_size=30),
    st.sampled_from(
        [
            "msg_01X",
            "msg_",
            "",
            "<synthetic>",
            "fast",
            "us",
            "2026-02-12T16:02:27.718Z",
            "2026-02-12T16:02:27Z",
            "2026-02-12T17:02:27+01:00",
            "1999-12-31T23:59:59.999Z",
            "2100-01-01T00:00:00.000Z",
            "2026-02-12T16:02:60.000Z",
            "usage limit reached|1770912147",
        ]
    ),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(
        st.sampled_from(
            [
                "ephemeral_1h_input_tokens",
                "ephemeral_5m_input_tokens",
                "web_search_requests",
                "resetsAt",
                "x",
            ]
        ),
        st.one_of(st.none(), st.integers(-5, 2**41), st.floats(), st.booleans()),
    ),
)
# The values most likely to tell the paths apart, drawn as often as all others together.
SHARP = st.sampled_from(
    [None, True, False, 5.0, 1.5, -1, MAX_COUNT, MAX_COUNT - 1, "7", "fast", "us", "", {}, []]
)
PLACES = [
    ("top", "timestamp"), ("top", "sessionId"), ("top", "cwd"), ("top", "requestId"),
    ("top", "costUSD"), ("top", "isApiErrorMessage"), ("top", "isSidechain"), ("top", "type"),
    ("top", "message"), ("message", "id"), ("message", "model"), ("message", "usage"),
    ("usage", "input_tokens"), ("usage", "output_tokens"), ("usage", "cache_read_input_tokens"),
    ("usage", "cache_creation_input_tokens"), ("usage", "cache_creation"),
    ("usage", "server_tool_use"), ("usage", "speed"), ("usage", "inference_geo"),
    ("cache", "ephemeral_1h_input_tokens"), ("cache", "ephemeral_5m_input_tokens"),
    ("server", "web_search_requests"),
]  # fmt: skip


@st.composite
def usage_lines(draw: st.DrawFn) -> dict[str, Any]:
    """A plausible assistant line (maybe a progress copy) with a few values made odd."""
    count = st.integers(0, MAX_COUNT - 1)
    line = assistant(
        draw(st.sampled_from(["msg_01A", "msg_01B", "msg_01C", "other-id", ""])),
        draw(count),
        minutes=draw(st.floats(-1e7, 1e7)),
        input_tokens=draw(count),
        cache_5m=draw(st.integers(0, 2**39)),
        cache_1h=draw(st.integers(0, 2**39)),
        cache_read=draw(count),
        sidechain=draw(st.booleans()),
        server_tool_use={"web_search_requests": draw(st.integers(0, 3))},
        speed=draw(st.sampled_from(["fast", "standard"])),
        inference_geo=draw(st.sampled_from(["us", "not_available"])),
    )
    holders = {
        "top": line,
        "message": line["message"],
        "usage": line["message"]["usage"],
        "cache": line["message"]["usage"]["cache_creation"],
        "server": line["message"]["usage"]["server_tool_use"],
    }
    for where, key in draw(st.lists(st.sampled_from(PLACES), max_size=4)):
        if draw(st.booleans()):
            holders[where][key] = draw(st.one_of(SHARP, ODD))
        else:
            holders[where].pop(key, None)
    if draw(st.integers(0, 3)) == 0 and isinstance(line.get("message"), dict):
        line["uuid"] = "u1"
        line["timestamp"] = line.get("timestamp", "2026-02-12T16:02:27.718Z")
        return progress_copy(line)
    return line


def real_lines() -> list[bytes]:
    if not REAL_FIXTURES.is_dir():
        pytest.skip("shared fixtures not found")
    return [
        raw
        for path in sorted(REAL_FIXTURES.rglob("*.jsonl"))
        for raw in path.read_bytes().split(b"\n")
        if b'"usage"' in raw
    ]
