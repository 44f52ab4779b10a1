"""File and folder names that are not UTF-8 are stored losslessly and read back exactly."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tests.adapters.ledger_cases import cli, counts
from tests.builders import assistant, write_jsonl
from tray_app.adapters.discovery import find_roots
from tray_app.adapters.ledger import FileState, Ledger
from tray_app.adapters.ledger_connect import loaded_path, stored_path
from tray_app.adapters.scanner import Engine


def _odd_tree(tmp_path: Path) -> tuple[Path, Path]:
    """A projects root whose project folder and transcript have invalid UTF-8 names."""
    root = tmp_path / "projects"
    folder = root / os.fsdecode(b"caf\xe9-\xff\xfe")  # Latin-1 é and stray bytes
    transcript = folder / os.fsdecode(b"s\x80\x81.jsonl")
    write_jsonl(transcript, [assistant(f"msg_{i}", 5 + i, session="odd") for i in range(3)])
    assert os.fsencode(transcript).endswith(b"s\x80\x81.jsonl")  # a real undecodable name
    return root, transcript


def test_undecodable_names_are_counted_once_through_the_real_engine(tmp_path: Path) -> None:
    root, transcript = _odd_tree(tmp_path)
    db = tmp_path / "l.db"
    first = Engine(find_roots([str(root)]), Ledger.open(db))
    result = first.refresh()
    assert result.stats.new_responses == 3
    first.ledger.close()  # type: ignore[union-attr]
    again = Engine(find_roots([str(root)]), Ledger.open(db))
    assert str(transcript) in again.files  # the key comes back exactly as scanned
    second = again.refresh()
    assert second.stats.files_read == 0 and second.stats.bytes_read == 0
    assert sorted(e.key for e in again.entries) == ["msg_0", "msg_1", "msg_2"]
    with sqlite3.connect(db) as con:
        (stored,) = con.execute("SELECT path FROM files").fetchone()
    con.close()
    assert stored == os.fsencode(transcript)  # the exact bytes, as a BLOB


def test_status_on_an_undecodable_folder_counts_it_and_rereads_nothing(tmp_path: Path) -> None:
    root, transcript = _odd_tree(tmp_path)
    db = tmp_path / "l.db"
    for _ in range(2):
        code, out, err = cli(["status", "--json", "--data-dir", str(root)], db, tmp_path)
        assert code == 0, err
        assert json.loads(out)["totals"]["responses"] == 3
    assert counts(db) == (3, [])
    ledger = Ledger.open(db)
    (row,) = ledger.file_states().values()
    state = FileState(*row)
    ledger.close()
    assert state.path == str(transcript) and state.offset == transcript.stat().st_size


def test_a_gone_undecodable_file_is_forgotten(tmp_path: Path) -> None:
    root, transcript = _odd_tree(tmp_path)
    db = tmp_path / "l.db"
    engine = Engine(find_roots([str(root)]), Ledger.open(db))
    engine.refresh()
    transcript.unlink()
    engine.refresh()
    assert engine.ledger is not None and engine.ledger.file_states() == {}


@given(st.binary(min_size=1, max_size=40).filter(lambda b: b"\0" not in b))
def test_stored_paths_round_trip_exactly(raw: bytes) -> None:
    name = os.fsdecode(b"/tmp/" + raw)
    kept = stored_path(name)
    assert loaded_path(kept) == name
    try:
        (b"/tmp/" + raw).decode("utf-8")
    except UnicodeDecodeError:
        assert kept == b"/tmp/" + raw  # kept as the exact bytes
    else:
        assert kept == name  # plain text, as ledgers always stored it
