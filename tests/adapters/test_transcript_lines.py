"""Bad-line numbers stay exact when a bulk read does not count lines (counted on demand)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from tests.builders import assistant, user
from tray_app.adapters import transcript
from tray_app.adapters.transcript import UNKNOWN, read_from

BAD = b'{"type":"assistant","message":{"usage":{"input_tokens":1'  # cut short


def _file(path: Path, seed: int) -> tuple[list[int], int]:
    """A transcript with bad usage lines at random places; their 1-based numbers."""
    rng = random.Random(seed)
    lines: list[bytes] = []
    bad: list[int] = []
    for i in range(60):
        kind = rng.random()
        if kind < 0.15:
            lines.append(BAD)
            bad.append(i + 1)
        elif kind < 0.6:
            lines.append(json.dumps(assistant(f"msg_{i}", i)).encode())
        else:
            lines.append(json.dumps(user()).encode())
    path.write_bytes(b"\n".join(lines) + b"\n")
    return bad, len(lines)


@pytest.mark.parametrize("chunk", [64, 1 << 20])
@pytest.mark.parametrize("seed", range(6))
def test_numbers_are_exact_with_and_without_counting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, seed: int
) -> None:
    monkeypatch.setattr(transcript, "CHUNK", chunk)
    f = tmp_path / "a.jsonl"
    bad, total = _file(f, seed)
    counted = read_from(f)
    bulk = read_from(f, count=False)
    assert [b.line for b in counted.bad] == bad == [b.line for b in bulk.bad]
    assert counted.lines == total
    # Not counted unless a bad line needed a number (then counted on from there).
    assert bulk.lines == (total if bad else UNKNOWN)
    assert bulk.items == counted.items and bulk.end_offset == counted.end_offset


@pytest.mark.parametrize("seed", range(4))
def test_a_read_after_an_uncounted_one_still_numbers_exactly(tmp_path: Path, seed: int) -> None:
    f = tmp_path / "a.jsonl"
    _file(f, seed)
    first = read_from(f, count=False)
    before = f.read_bytes().count(b"\n")
    with open(f, "ab") as handle:  # appended later: two good lines, then a bad one
        handle.write(json.dumps(assistant("new", 1)).encode() + b"\n" + b"{}\n" + BAD + b"\n")
    total = f.read_bytes().count(b"\n")
    # Stored as read (known or not), known from an older ledger, or bulk-read on from there.
    for start_lines, count in ((first.lines, True), (UNKNOWN, True), (before, False)):
        again = read_from(f, first.end_offset, start_lines, count=count)
        assert [b.line for b in again.bad] == [total]
        assert again.lines == total  # the bad line made the count known again


def test_a_too_long_line_gets_its_number_without_counting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transcript, "MAX_LINE", 1000)
    monkeypatch.setattr(transcript, "CHUNK", 256)
    f = tmp_path / "a.jsonl"
    good = json.dumps(assistant("msg_1", 5)).encode()
    f.write_bytes(b"\n".join([good, good, b'{"usage":' + b"x" * 5000 + b"}", good]) + b"\n")
    r = read_from(f, count=False)
    assert [(b.line, "longer than" in b.reason) for b in r.bad] == [(3, True)]
    assert r.lines == 4 and r.end_offset == f.stat().st_size
