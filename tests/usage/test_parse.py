"""docs/counting-rules.md: which lines carry usage and how their fields are read."""

from __future__ import annotations

import pytest

from tests.builders import assistant, progress_copy, user
from tray_app.usage.model import Entry, ResetNotice
from tray_app.usage.parse import NO_IDS, Rejected, dedup_key, extract, parse_timestamp


@pytest.mark.parametrize(
    "text",
    [
        "2026-02-12T16:02:27.718Z",
        "2026-02-12T16:02:27Z",
        "2026-02-12T17:02:27.718+01:00",
        "2026-02-12T16:02:27.718",
    ],
)
def test_timestamps_are_parsed_leniently(text: str) -> None:
    assert parse_timestamp(text) == pytest.approx(1770912147.718, abs=1)


def test_bad_timestamps_give_none() -> None:
    assert parse_timestamp("yesterday") is None
    assert parse_timestamp(None) is None
    assert parse_timestamp(True) is None


def test_assistant_line_fields() -> None:
    e = extract(
        assistant(
            "msg_x",
            13,
            input_tokens=3,
            cache_1h=13835,
            cache_read=11515,
            server_tool_use={"web_search_requests": 2},
            speed="fast",
            inference_geo="us",
        )
    )
    assert isinstance(e, Entry)
    assert (e.input_tokens, e.output_tokens, e.cache_1h_tokens, e.cache_5m_tokens) == (
        3,
        13,
        13835,
        0,
    )
    assert (e.cache_read_tokens, e.web_search_requests, e.speed, e.geo) == (11515, 2, "fast", "us")
    assert e.key == "msg_x" and e.cwd == "/home/u/proj" and e.session_id == "sess-1"


def test_no_breakdown_means_all_writes_are_5m() -> None:
    line = assistant("msg_x", 1)
    line["message"]["usage"] = {
        "input_tokens": 1,
        "output_tokens": 1,
        "cache_creation_input_tokens": 500,
    }
    e = extract(line)
    assert isinstance(e, Entry) and (e.cache_5m_tokens, e.cache_1h_tokens) == (500, 0)


def test_user_summary_and_nested_usage_do_not_count() -> None:
    assert extract(user()) is None
    assert extract({"type": "summary", "summary": "x"}) is None
    task_result = user()
    task_result["toolUseResult"] = {"usage": {"input_tokens": 5, "output_tokens": 5}}
    assert extract(task_result) is None
    assert extract([1, 2]) is None
    hook = {
        "type": "progress",
        "data": {"type": "hook_progress"},
        "timestamp": "2026-01-01T00:00:00Z",
    }
    assert extract(hook) is None


def test_progress_copy_is_a_sidechain_candidate_of_the_outer_session() -> None:
    e = extract(progress_copy(assistant("msg_s", 7, session="inner"), session="parent"))
    assert isinstance(e, Entry) and e.sidechain and e.session_id == "parent"


def test_synthetic_lines_carry_no_tokens_but_may_carry_a_reset() -> None:
    line = assistant("msg_syn", 0, model="<synthetic>")
    assert extract(line) is None
    line["message"]["content"] = [
        {"type": "text", "text": "Claude AI usage limit reached|1770922800"}
    ]
    notice = extract(line)
    assert isinstance(notice, ResetNotice) and notice.resets_at == 1770922800.0
    line["message"]["content"] = []
    line["quotaLimits"] = {"resetsAt": "2026-02-12T19:00:00Z"}
    notice = extract(line)
    assert isinstance(notice, ResetNotice) and notice.resets_at == 1770922800.0


def test_legacy_cost_usd_is_kept() -> None:
    line = assistant("msg_c", 5)
    line["costUSD"] = 0.0123
    e = extract(line)
    assert isinstance(e, Entry) and e.cost_usd == 0.0123


def test_junk_counts_make_a_bad_line() -> None:
    line = assistant("msg_j", 5)
    line["message"]["usage"]["input_tokens"] = "lots"
    assert extract(line) == Rejected("input_tokens out of range")
    line["message"]["usage"]["input_tokens"] = 3
    line["message"]["usage"]["output_tokens"] = -4
    assert extract(line) == Rejected("output_tokens out of range")


def test_dedup_key_rules() -> None:
    assert dedup_key("s", "msg_1", "r", "u") == "msg_1"
    assert dedup_key("s", "x1", "r", "u") == "s|x1|r"
    assert dedup_key("s", "", "", "u9") == "s||uuid:u9"
    assert dedup_key("s", "", "", "") == "s" + NO_IDS  # the reader appends the place
