"""One limit-source type: every Limit and BlockView carries a LimitSource, never a loose string."""

from __future__ import annotations

import json

import orjson
import pytest

from tray_app.service.snapshot import BlockView
from tray_app.usage.blocks import Block
from tray_app.usage.limits import SOURCE_LABELS, Limit, LimitSource, compute_limit
from tray_app.usage.model import Totals
from tray_app.usage.official_limits import OfficialWindow, official_limit, source_text

NOW = 1_767_225_600.0


def _block(tokens: int, start: float, active: bool = False) -> Block:
    return Block(start, start + 5 * 3600, start, start + 60, Totals(input_tokens=tokens,
                 responses=1), (), active, False)  # fmt: skip


def test_a_plain_string_becomes_the_enum_and_a_wrong_one_raises() -> None:
    assert Limit(None, "official").source is LimitSource.OFFICIAL  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Limit(None, "block")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Limit(None, "Official")  # type: ignore[arg-type]


def test_block_view_checks_its_source_too() -> None:
    b = _block(10, NOW - 60, True)
    view = BlockView(b, 100, "p90", 10.0, None, None, None, None, b.end, 60.0)  # type: ignore[arg-type]
    assert view.limit_source is LimitSource.P90
    with pytest.raises(ValueError):
        BlockView(b, 100, "estimate", 10.0, None, None, None, None, b.end, 60.0)  # type: ignore[arg-type]


def test_json_and_text_show_the_plain_value() -> None:
    obj = {"source": LimitSource.OFFICIAL}
    assert orjson.dumps(obj) == b'{"source":"official"}'
    assert json.dumps(obj) == '{"source": "official"}'
    assert f"{LimitSource.P90}" == "p90" and str(LimitSource.NONE) == "none"


def test_labels_live_on_the_type() -> None:
    assert [s.label for s in LimitSource] == [
        "official (Claude Code)", "max of past blocks", "p90 of recent blocks", "custom limit",
        "no limit yet",
    ]  # fmt: skip
    assert LimitSource.OFFICIAL.short == "official limit" and LimitSource.P90.short == "p90"
    assert LimitSource.MAX.short == "max of past blocks"
    assert [s for s in LimitSource if s.trusted] == [LimitSource.OFFICIAL, LimitSource.CUSTOM]
    assert SOURCE_LABELS["p90"] == LimitSource.P90.label


def test_every_builder_names_its_source() -> None:
    history = [_block(1000, NOW - 30 * 3600), _block(3000, NOW - 20 * 3600)]
    assert compute_limit(history, "max", NOW).source is LimitSource.MAX
    assert compute_limit(history, "p90", NOW).source is LimitSource.P90
    assert compute_limit(history, "custom", NOW, 5).source is LimitSource.CUSTOM
    assert compute_limit(history, "custom", NOW).source is LimitSource.NONE
    assert compute_limit([], "max", NOW).source is LimitSource.NONE
    fresh = OfficialWindow("five_hour", 40.0, NOW + 3600, NOW - 60)
    got = official_limit(fresh, NOW)
    assert got is not None and got.source is LimitSource.OFFICIAL
    assert source_text(got, NOW) == "official · 1 min ago"
    assert source_text(compute_limit(history, "p90", NOW), NOW) == "p90 of recent blocks"
