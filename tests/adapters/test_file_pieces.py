"""A file read in pieces by several readers counts exactly what one pass over it counts."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.builders import assistant, write_jsonl
from tray_app.adapters import bulk_read, file_pieces
from tray_app.adapters.discovery import Roots
from tray_app.adapters.file_pieces import Pieces, cut_job, joined
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.scanner import Engine
from tray_app.adapters.transcript import UNKNOWN, BadLine, FileRead


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"x")), max_size=30),
    tail=st.binary(max_size=20).map(lambda b: b.replace(b"\n", b"")),
    skip=st.integers(0, 30),
    piece=st.integers(1, 120),
)
def test_pieces_cover_the_job_and_end_at_line_ends(
    tmp_path_factory: pytest.TempPathFactory, lines: list[bytes], tail: bytes, skip: int, piece: int
) -> None:
    data = b"".join(line + b"\n" for line in lines) + tail  # maybe an unfinished last line
    path = tmp_path_factory.mktemp("cut") / "f.jsonl"
    path.write_bytes(data)
    offset = len(b"".join(line + b"\n" for line in lines[:skip]))  # a stored position
    parts, identity = cut_job((str(path), offset, 7, len(data), "place"), piece)
    st = path.stat()
    assert len(parts) == 1 or identity == (st.st_dev, st.st_ino)
    assert parts[0][1] == offset and parts[-1][3] == len(data)
    assert [p[1] for p in parts[1:]] == [p[3] for p in parts[:-1]]  # contiguous
    assert [p[2] for p in parts] == [7] + [UNKNOWN] * (len(parts) - 1)
    assert {(p[0], p[4]) for p in parts} == {(str(path), "place")}
    for _, start, _, end, _ in parts[:-1]:
        assert end - start >= piece and data[end - 1 : end] == b"\n"
    if len(parts) == 1:  # not cut only when no line ends `piece` bytes on
        assert len(data) - offset <= piece or b"\n" not in data[offset + piece - 1 : -1]


def test_an_unreadable_file_stays_one_job(tmp_path: Path) -> None:
    job = (str(tmp_path / "gone.jsonl"), 0, 0, 1000, "p")
    assert cut_job(job, 10) == ([job], (0, 0))
    os.mkfifo(tmp_path / "fifo.jsonl")  # put where a file was listed: never waited on
    fifo = (str(tmp_path / "fifo.jsonl"), 0, 0, 1000, "p")
    assert cut_job(fifo, 10)[0] == [fifo]


ID = (0, 0)  # (what `FileRead` says when no file was opened)


def _read(end: int, bytes_read: int, bad: int = 0, lines: int = UNKNOWN) -> FileRead:
    places = [BadLine("f", n, "bad") for n in range(bad)]
    return FileRead([], end, lines, bytes_read, bad, places)


def test_joined_reads_are_the_files_read() -> None:
    whole = joined([_read(10, 10, 15), _read(20, 10, 15), _read(28, 9, 1, 40)], [10, 20, 29], ID)
    assert isinstance(whole, FileRead)
    assert (whole.end_offset, whole.lines, whole.bytes_read, whole.bad_count) == (28, 40, 29, 31)
    assert len(whole.bad) == 20  # at most MAX_PLACES, the first ones
    # A piece that stopped short (the file shrank): the position stays where reading stopped.
    short = joined([_read(10, 10), _read(15, 5), _read(30, 10)], [10, 20, 30], ID)
    assert isinstance(short, FileRead) and short.end_offset == 15
    gone = joined([_read(10, 10), "No such file", _read(30, 10)], [10, 20, 30], ID)
    assert gone == "No such file"
    # A piece of another file (replaced since it was cut) would start mid-line: not used.
    other = _read(30, 10)
    other.identity = (1, 2)
    assert joined([_read(10, 10), _read(20, 10), other], [10, 20, 30], ID) == file_pieces.CHANGED


def test_pieces_are_held_until_the_last_one() -> None:
    pieces = Pieces({"a": [10, 20]}, {"a": ID})
    first = pieces.join([("b", "gone"), ("a", _read(10, 10))])
    assert first == [("b", "gone")]
    ((path, whole),) = pieces.join([("a", _read(20, 10))])
    assert path == "a" and isinstance(whole, FileRead) and whole.end_offset == 20
    assert pieces.held == {}


def _data(roots: list[Path]) -> None:
    """Two roots, files sharing responses, bad lines, an unfinished last line, one long file."""
    for i in range(6):
        lines: list[Any] = [
            assistant(f"msg_{j}", 5 + i * j, session=f"s{i}", minutes=60 - i if j == 3 else j)
            for j in range(i, i + 4 + (30 if i == 5 else 0))
        ]
        lines.insert(2, b'{"type":"assistant","message":{"usage":')  # malformed
        lines.insert(5, b'{"type":"assistant","usage":\xff}')  # not UTF-8
        f = write_jsonl(roots[i % 2] / "p" / f"s{i}.jsonl", lines)
        if i == 5:
            with open(f, "ab") as handle:
                handle.write(b'{"type":"assistant","message"')  # being written
        os.utime(f, (1000 + i, 1000 + i))


def _scan(roots: list[Path], db: Path) -> tuple[Any, ...]:
    stats = Engine(Roots(tuple(roots)), Ledger.open(db)).refresh().stats
    con = sqlite3.connect(db)
    try:
        return (
            con.execute("SELECT * FROM responses ORDER BY key").fetchall(),
            con.execute("SELECT * FROM response_roots ORDER BY root, key").fetchall(),
            con.execute("SELECT path, size, offset FROM files ORDER BY path").fetchall(),
            (stats.files_read, stats.bytes_read, stats.bad_lines, stats.new_responses),
            sorted((b.path, b.line, b.reason) for b in stats.bad_places),
        )
    finally:
        con.close()


@pytest.mark.parametrize("piece", [1, 200, 700])
def test_a_scan_reading_pieces_equals_one_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piece: int
) -> None:
    roots = [tmp_path / "a", tmp_path / "b"]
    _data(roots)
    one_pass = _scan(roots, tmp_path / "one.db")
    assert one_pass[1]  # two roots: every response has its root's row
    monkeypatch.setattr(bulk_read, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(bulk_read, "RANGE_BYTES", 1500)  # several pieces share a range
    monkeypatch.setattr(bulk_read, "PIECE_BYTES", piece)
    monkeypatch.setattr(bulk_read, "workers", lambda: 2)
    cut = []
    real_cut = file_pieces.cut_job
    monkeypatch.setattr(file_pieces, "cut_job", lambda j, p: cut.append(n := real_cut(j, p)) or n)
    assert _scan(roots, tmp_path / "pieces.db") == one_pass
    assert max(len(parts) for parts, _ in cut) > 3


def test_a_long_line_at_a_cut_does_not_end_the_cutting(tmp_path: Path) -> None:
    # An image or a tool's output makes lines of megabytes in the largest, newest file.
    path = tmp_path / "long.jsonl"
    data = b"x" * 100 + b"\n" + b"y" * 1_500_000 + b"\n" + b"z" * 99 + b"\n" * 1000
    path.write_bytes(data)
    parts, _ = cut_job((str(path), 0, 0, len(data), "p"), 400)
    assert parts[1][1] == 1_500_102  # past the long line (longer than 1 MiB)
    assert len(parts) > 3 and parts[-1][3] == len(data)


def test_a_file_replaced_after_it_was_cut_is_read_again_not_misread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "a"
    path = write_jsonl(root / "p" / "s.jsonl", [assistant(f"msg_{j}", j) for j in range(40)])
    # The new file's lines sit elsewhere: a piece cut for the old one would start mid-line.
    new_lines: list[Any] = [b'{"type":"user","text":"' + b"x" * 77 + b'"}']
    new_lines += [assistant(f"msg_{j}", j + 1) for j in range(40)]
    replacement = write_jsonl(tmp_path / "new.jsonl", new_lines)
    monkeypatch.setattr(bulk_read, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(bulk_read, "PIECE_BYTES", 500)
    monkeypatch.setattr(bulk_read, "workers", lambda: 2)
    real_cut = file_pieces.cut_job

    def cut_then_replace(job: Any, piece: int) -> Any:
        made = real_cut(job, piece)
        os.replace(replacement, path)  # Claude Code never does this; a user might
        return made

    monkeypatch.setattr(file_pieces, "cut_job", cut_then_replace)
    ledger = Ledger.open(tmp_path / "l.db")
    stats = Engine(Roots((root,)), ledger).refresh().stats
    assert stats.bad_lines == 0
    assert any(file_pieces.CHANGED in w for w in stats.warnings)
    monkeypatch.undo()
    Engine(Roots((root,)), ledger).refresh()  # the next run reads it again, whole
    total = sqlite3.connect(tmp_path / "l.db").execute("SELECT sum(output) FROM responses")
    assert total.fetchone()[0] == sum(range(1, 41))
