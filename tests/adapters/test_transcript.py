"""Reading transcripts: complete lines only, bad lines counted and skipped, never fatal."""

from __future__ import annotations

from pathlib import Path

from tests.builders import assistant, user, write_jsonl
from tray_app.adapters import transcript
from tray_app.adapters.transcript import read_from
from tray_app.usage.model import Entry


def test_reads_usage_lines_and_skips_others(tmp_path: Path) -> None:
    f = write_jsonl(tmp_path / "a.jsonl", [user(), assistant("msg_1", 5), {"type": "summary"}])
    r = read_from(f)
    assert [e.key for e in r.items if isinstance(e, Entry)] == ["msg_1"]
    assert r.end_offset == f.stat().st_size and r.lines == 3 and r.bad_count == 0


def test_incomplete_last_line_waits_for_its_newline(tmp_path: Path) -> None:
    f = write_jsonl(tmp_path / "a.jsonl", [assistant("msg_1", 5)])
    whole = f.stat().st_size
    import json

    half = json.dumps(assistant("msg_2", 9), separators=(",", ":")).encode()
    with open(f, "ab") as h:
        h.write(half[:40])
    r = read_from(f)
    assert len(r.items) == 1 and r.end_offset == whole
    with open(f, "ab") as h:
        h.write(half[40:] + b"\n")
    r2 = read_from(f, r.end_offset, r.lines)
    assert [e.key for e in r2.items if isinstance(e, Entry)] == ["msg_2"]
    assert r2.bad_count == 0 and r2.lines == 2


def test_malformed_and_non_utf8_lines_are_counted_with_their_place(tmp_path: Path) -> None:
    good = assistant("msg_1", 5)
    f = write_jsonl(
        tmp_path / "a.jsonl",
        [
            good,
            b'{"type":"assistant","message":{"usage":{"input_tokens":1',
            b"",
            b'{"type":"assistant","x":"\xff\xfe","usage":{}}',
            assistant("msg_2", 5),
        ],
    )
    r = read_from(f)
    assert len(r.items) == 2
    assert r.bad_count == 2
    assert [(b.line, b.reason.split(" (")[0]) for b in r.bad] == [
        (2, "malformed JSON"),
        (4, "not UTF-8"),
    ]
    assert r.bad[0].path == str(f)


def test_validate_mode_checks_every_line(tmp_path: Path) -> None:
    f = write_jsonl(tmp_path / "a.jsonl", [user(), b"{not json", assistant("msg_1", 5)])
    assert read_from(f).bad_count == 0  # the fast path never parses a line without usage
    r = read_from(f, validate=True)
    assert r.bad_count == 1 and r.bad[0].line == 2 and len(r.items) == 1


def test_huge_line_is_skipped_and_reading_goes_on(tmp_path: Path, monkeypatch: object) -> None:
    import pytest

    mp = pytest.MonkeyPatch()
    mp.setattr(transcript, "MAX_LINE", 1000)
    mp.setattr(transcript, "CHUNK", 256)
    try:
        f = write_jsonl(
            tmp_path / "a.jsonl",
            [assistant("msg_1", 5), b'{"usage":' + b"x" * 5000 + b"}", assistant("msg_2", 6)],
        )
        r = read_from(f)
        assert [e.key for e in r.items if isinstance(e, Entry)] == ["msg_1", "msg_2"]
        assert r.bad_count == 1 and "longer than" in r.bad[0].reason
        assert r.end_offset == f.stat().st_size and r.lines == 3
    finally:
        mp.undo()


def test_lines_across_chunk_boundaries(tmp_path: Path) -> None:
    import pytest

    mp = pytest.MonkeyPatch()
    mp.setattr(transcript, "CHUNK", 7)
    try:
        lines = [assistant(f"msg_{i}", i) for i in range(1, 30)]
        f = write_jsonl(tmp_path / "a.jsonl", lines)  # type: ignore[arg-type]
        r = read_from(f)
        assert len(r.items) == 29 and r.lines == 29 and r.end_offset == f.stat().st_size
    finally:
        mp.undo()
