"""Untrusted text on its way to a terminal or desktop, and the rules for session names."""

from __future__ import annotations

import json
import unicodedata

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tray_app.usage.text_safety import (
    NAME_MAX,
    clean,
    csv_cell,
    json_safe,
    looks_like_id,
    name_problem,
    text_problem,
)

# Sets the window title, clears the screen, returns to column 0, forges a line, flips
# the reading order and (as a C1 CSI) turns the text red.
EVIL = "ok\x1b]0;pwned\x07\x1b[2J\rforged\nline\u202eevil\x9b31m!"
SESSION = "0a1b2c3d-1111-4222-8333-444455556666"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain name", "plain name"),
        (EVIL, "ok forged lineevil!"),
        ("title\x1b]2;x\x1b\\end", "titleend"),  # OSC ended by ST
        ("a\x1b[1;31mred\x1b[0m", "ared"),
        ("bell\x07", "bell\ufffd"),  # a lone control is marked, not silently kept
        ("tab\there", "tab here"),
        ("x\u2028y\u2029z\x85w", "x y z w"),
        ("\u2066iso\u2069\u200f\ufeff", "iso"),  # isolates, RLM, BOM: invisible, dropped
        ("family \U0001f468\u200d\U0001f469", "family \U0001f468\u200d\U0001f469"),  # ZWJ
        ("cut\x1b]0;never ends", "cut"),  # an open OSC swallows the rest, as a terminal would
        ("caf\udce9", "caf\ufffd"),  # a lone surrogate from a non-UTF-8 file name
        ("\x1bc reset", " reset"),
    ],
)
def test_clean_removes_sequences_and_controls(raw: str, shown: str) -> None:
    assert clean(raw) == shown


def test_clean_caps_with_an_ellipsis() -> None:
    assert clean("x" * 100, 10) == "x" * 9 + "…"
    assert clean("exactly10!", 10) == "exactly10!"
    assert clean("\x1b[2J" + "y" * 5, 5) == "yyyyy"  # the cap counts what is shown


def _unsafe(ch: str) -> bool:
    if ch in "\u200c\u200d":
        return False
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs") or ch in "\u2028\u2029"


@given(st.text(), st.one_of(st.none(), st.integers(1, 50)))
def test_clean_output_is_always_safe_capped_and_stable(text: str, cap: int | None) -> None:
    shown = clean(text, cap)
    assert not any(_unsafe(ch) for ch in shown)
    assert cap is None or len(shown) <= cap
    assert clean(shown) == shown


@given(st.text())
def test_json_safe_keeps_the_value_and_escapes_c1_and_bidi(text: str) -> None:
    encoded = orjson.dumps({"name": text}, option=orjson.OPT_INDENT_2).decode()
    safe = json_safe(encoded)
    assert json.loads(safe) == {"name": text}
    assert not any(_unsafe(ch) for ch in safe if ch != "\n")


def test_orjson_escapes_c0_but_not_c1_or_bidi() -> None:
    """Why json_safe exists: the encoder leaves C1 controls and U+202E raw."""
    raw = orjson.dumps("\x1b[2J\x9b\u202e").decode()
    assert raw == '"\\u001b[2J\x9b\u202e"'
    assert json_safe(raw) == '"\\u001b[2J\\u009b\\u202e"'
    assert json_safe(orjson.dumps("\U000e0001").decode()) == '"\\udb40\\udc01"'


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("/home/u/proj", "/home/u/proj"),
        ("\x1b[2J=1", "'=1"),  # judged after cleaning: the hidden formula is caught
    ],
)
def test_csv_cells_never_start_a_formula(cell: str, written: str) -> None:
    assert csv_cell(cell) == written


def test_text_problem_names_the_characters_and_the_limit() -> None:
    assert text_problem("fine", "tag", 10) is None
    assert text_problem("a\nb\x1b", "name", 80) == (
        "the name contains control characters (U+000A, U+001B); use plain text"
    )
    assert text_problem("a\u202eb", "description", 80) == (
        "the description contains control characters (U+202E); use plain text"
    )
    assert text_problem("x" * 81, "name", NAME_MAX) == (
        "the name has 81 characters; at most 80 are allowed"
    )


def test_name_rules() -> None:
    names = {"s-other": "Refactor", SESSION: "mine"}
    ids = [SESSION, "s-other", "ffee0000-aaaa-4bbb-8ccc-dddddddddddd"]
    assert name_problem("", SESSION, names, ids) is None  # clearing is always fine
    assert name_problem("  new name ", SESSION, names, ids) is None
    assert name_problem("MINE", SESSION, names, ids) is None  # its own name, other case
    assert name_problem("refactor ", SESSION, names, ids) == (
        "session s-other is already named 'Refactor'; pick another name"
    )
    assert name_problem("FFEE", SESSION, names, ids) == (
        "'FFEE' looks like a session id (ffee0000…); a name must not be mistaken for an id"
    )
    assert name_problem(SESSION.upper(), SESSION, names, ids) is not None  # its own uuid
    other_uuid = "12345678-1234-4234-8234-123456789abc"  # unknown, but shaped like an id
    assert name_problem(other_uuid, SESSION, names, ids) is not None
    assert name_problem("line\nforged", SESSION, names, ids) == (
        "the name contains control characters (U+000A); use plain text"
    )
    assert name_problem("n" * 81, SESSION, names, ids) is not None


def test_looks_like_id_needs_a_unique_prefix() -> None:
    ids = ["abc1", "abc2", "def0"]
    assert looks_like_id("abc", ids) is None  # ambiguous as a prefix, so not shadowing one
    assert looks_like_id("abc1", ids) == "abc1"
    assert looks_like_id("de", ids) == "def0"
    assert looks_like_id("web app", ids) is None
