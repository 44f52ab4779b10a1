"""Loading the bundled price table and applying the config's overrides."""

from __future__ import annotations

import logging
import pkgutil
from pathlib import Path
from typing import Any

import pytest

from tray_app.adapters.prices import load_price_table
from tray_app.usage.model import Entry


def entry(model: str, **fields: Any) -> Entry:
    """A response with only the fields a test cares about."""
    return Entry(key="k", timestamp=0.0, session_id="s", model=model, **fields)


def test_loads_the_bundled_table() -> None:
    table = load_price_table()
    assert table.checked == "2026-11-29"
    assert table.cost(entry("claude-sonnet-4-5-20250929", input_tokens=100_000)) == (
        pytest.approx(0.3)
    )
    assert table.cost(entry("<synthetic>", input_tokens=10)) is None


def test_overrides_extend_and_override() -> None:
    table = load_price_table(
        {"my-model": {"input": 2, "output": 8}, "claude-haiku-4-5": {"output": 6}}
    )
    assert table.cost(entry("my-model", input_tokens=1_000_000)) == pytest.approx(2.0)
    assert table.cost(entry("claude-haiku-4-5", output_tokens=1_000_000)) == pytest.approx(6.0)
    assert table.cost(entry("claude-haiku-4-5", input_tokens=1_000_000)) == pytest.approx(1.0)


def test_bad_override_is_skipped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    overrides: Any = {
        "claude-haiku-4-5": {"outptu": 6},
        "new-model": {"input": "two", "output": 8},
        "good-model": {"input": 2, "output": 8},
    }
    with caplog.at_level(logging.WARNING, logger="tray_app.adapters.prices"):
        table = load_price_table(overrides)
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(messages) == 2
    assert "claude-haiku-4-5" in messages[0] and "outptu" in messages[0]
    assert "new-model" in messages[1] and "input" in messages[1]
    # The bad ones change nothing; the good one still applies.
    assert table.cost(entry("claude-haiku-4-5", output_tokens=1_000_000)) == pytest.approx(5.0)
    assert table.cost(entry("new-model", input_tokens=1)) is None
    assert table.cost(entry("good-model", input_tokens=1_000_000)) == pytest.approx(2.0)


def test_overrides_of_the_wrong_shape_are_ignored(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="tray_app.adapters.prices"):
        table = load_price_table(["claude-haiku-4-5"])  # type: ignore[arg-type]
    assert any("overrides" in r.getMessage() for r in caplog.records)
    assert table.cost(entry("claude-haiku-4-5", input_tokens=1_000_000)) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("text", "words"),
    [("{not json", "not valid JSON"), ('{"checked": "2026-11-24"}', "us_only_multiplier")],
)
def test_a_broken_bundled_file_raises_value_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, words: str
) -> None:
    (tmp_path / "prices.json").write_text(text, encoding="utf-8")
    monkeypatch.setattr(pkgutil, "get_data", lambda pkg, name: (tmp_path / name).read_bytes())
    with pytest.raises(ValueError, match=words):
        load_price_table()
