"""Colour only on a tty (or --color), never with NO_COLOR/--no-color; width from COLUMNS."""

from __future__ import annotations

import io
import os
import pty
from pathlib import Path

import pytest

from tests.cli.cli_run import run, two_projects
from tray_app.cli.table import short_model, terminal_width, wants_color

ESC = "\x1b["


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return two_projects(tmp_path)


def test_piped_output_has_no_colour_and_color_forces_it(tmp_path: Path, data: Path) -> None:
    assert ESC not in run(["daily"], tmp_path, data)[1]
    coloured = run(["daily", "--color"], tmp_path, data)[1]
    assert f"{ESC}1m" in coloured  # bold header and total row
    assert ESC not in run(["--color", "daily", "--no-color"], tmp_path, data)[1]
    assert ESC not in run(["daily"], tmp_path, data, NO_COLOR="1")[1]
    assert ESC in run(["daily", "--color"], tmp_path, data, NO_COLOR="1")[1]  # asked for


def test_tty_detection() -> None:
    leader, follower = pty.openpty()
    with os.fdopen(follower, "w") as tty:
        assert wants_color(None, {}, tty) is True
        assert wants_color(None, {"NO_COLOR": "1"}, tty) is False
        assert wants_color(None, {"TERM": "dumb"}, tty) is False
        assert wants_color(False, {}, tty) is False
    os.close(leader)
    assert wants_color(None, {}, io.StringIO()) is False
    assert wants_color(True, {"NO_COLOR": "1"}, io.StringIO()) is True


def test_width_from_columns_else_80() -> None:
    assert terminal_width({"COLUMNS": "132"}, io.StringIO()) == 132
    assert terminal_width({}, io.StringIO()) == 80  # not a tty
    assert terminal_width({"COLUMNS": "junk"}, io.StringIO()) == 80


@pytest.mark.parametrize(
    ("model", "short"),
    [
        ("claude-opus-4-5-20251101", "opus-4-5"),
        ("claude-sonnet-4-5-20250929", "sonnet-4-5"),
        ("claude-haiku-4-5-20251001", "haiku-4-5"),
        ("claude-3-5-sonnet-20241022", "sonnet-3-5"),
        ("claude-3-haiku-20240307", "haiku-3"),
        ("claude-opus-4-6", "opus-4-6"),
        ("<synthetic>", "<synthetic>"),
    ],
)
def test_short_model_names(model: str, short: str) -> None:
    assert short_model(model) == short


def test_control_sequences_in_names_never_reach_the_terminal(tmp_path: Path, data: Path) -> None:
    code, _, err = run(["name", "a1", "x", "--data-dir", str(data)], tmp_path)
    assert code == 0, err
    from tests.builders import assistant, write_jsonl

    evil = "/home/u/\x1b]0;pwned\x07evil"
    write_jsonl(data / "projects" / "e" / "e.jsonl", [assistant("m9", 5, session="e1", cwd=evil)])
    out = run(["sessions", "--color"], tmp_path, data)[1]
    assert "\x07" not in out and "]0;" not in out
