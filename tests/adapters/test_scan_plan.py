"""What a refresh reads, from where, and what is gone: the plan against stored positions."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.builders import assistant, write_jsonl
from tray_app.adapters import roots_ledger, scan_plan
from tray_app.adapters.discovery import Roots
from tray_app.adapters.ledger import FileRow, FileState, Ledger
from tray_app.adapters.scan_plan import plan
from tray_app.adapters.scanner import Engine


def _row(path: Path, offset: int | None = None, size: int | None = None) -> FileState:
    """The position a finished read of `path` stores (read to `offset`, stat'ed at `size`)."""
    st = path.stat()
    end = st.st_size if offset is None else offset
    return FileState(str(path), st.st_dev, st.st_ino, size or st.st_size, end, 3, st.st_mtime_ns)


def _files(root: Path, names_mtimes: dict[str, int]) -> dict[str, Path]:
    out = {}
    for name, mtime in names_mtimes.items():
        path = root / "p" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b'{"a": 1}\n')
        os.utime(path, ns=(mtime, mtime))
        out[name] = path
    return out


def _plan(root: Path, known: Mapping[str, FileRow], validate: bool = False) -> scan_plan.Plan:
    return plan(Roots((root,)), known, [roots_ledger.root_id(root)], None, validate, [])


def test_nothing_new_plans_no_read_and_never_asks_which_root_a_path_is_of(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "projects"
    files = _files(root, {"a.jsonl": 3, "b.jsonl": 1, "c.jsonl": 2})
    known = {str(p): _row(p) for p in files.values()}

    def no_root_of(path: str, roots: object) -> None:
        raise AssertionError(f"root_of({path}) on a restart with every file present")

    monkeypatch.setattr(roots_ledger, "root_of", no_root_of)
    result = _plan(root, known)
    assert (result.seen, result.jobs, result.gone, result.resets) == (3, [], [], 0)


def test_only_the_reads_are_ordered_oldest_modified_first_ties_by_path(tmp_path: Path) -> None:
    root = tmp_path / "projects"
    files = _files(root, {"d.jsonl": 5, "c.jsonl": 7, "b.jsonl": 7, "a.jsonl": 1})
    known = {str(files["a.jsonl"]): _row(files["a.jsonl"])}  # unchanged: not a read
    result = _plan(root, known)
    assert [(j.path.name, j.offset, j.lines) for j in result.jobs] == [
        ("d.jsonl", 0, 0),
        ("b.jsonl", 0, 0),
        ("c.jsonl", 0, 0),
    ]
    assert all(isinstance(j.path, Path) for j in result.jobs) and result.seen == 4


def test_an_unfinished_last_line_is_read_again_only_once_the_file_grows(tmp_path: Path) -> None:
    root = tmp_path / "projects"
    path = root / "p" / "s.jsonl"
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"a": 1}\n{"half')
    known = {str(path): _row(path, offset=9)}  # read up to the last newline
    assert _plan(root, known).jobs == []
    with path.open("ab") as f:
        f.write(b'": 2}\n')
    (job,) = _plan(root, known).jobs
    assert (job.offset, job.lines, job.size) == (9, 3, path.stat().st_size - 9)


def test_truncated_and_replaced_files_are_read_from_the_start(tmp_path: Path) -> None:
    root = tmp_path / "projects"
    files = _files(root, {"cut.jsonl": 1, "new.jsonl": 2, "same.jsonl": 3})
    known = {str(p): _row(p) for p in files.values()}
    cut = files["cut.jsonl"]
    known[str(cut)] = known[str(cut)]._replace(offset=100, size=100)  # was longer
    new = files["new.jsonl"]
    known[str(new)] = known[str(new)]._replace(inode=known[str(new)].inode + 1)  # another file
    result = _plan(root, known)
    assert [(j.path.name, j.offset) for j in result.jobs] == [("cut.jsonl", 0), ("new.jsonl", 0)]
    assert result.resets == 2 and result.gone == []


def test_validate_reads_every_file_from_the_start_without_counting_resets(tmp_path: Path) -> None:
    root = tmp_path / "projects"
    files = _files(root, {"a.jsonl": 1, "b.jsonl": 2})
    known = {str(p): _row(p) for p in files.values()}
    result = _plan(root, known, validate=True)
    assert [(j.path.name, j.offset) for j in result.jobs] == [("a.jsonl", 0), ("b.jsonl", 0)]
    assert result.resets == 0


def test_a_missing_file_of_this_root_is_gone_another_roots_file_is_not(tmp_path: Path) -> None:
    root, other = tmp_path / "projects", tmp_path / "other" / "projects"
    files = _files(root, {"a.jsonl": 1, "b.jsonl": 2})
    elsewhere = _files(other, {"x.jsonl": 1})["x.jsonl"]
    known = {str(p): _row(p) for p in [*files.values(), elsewhere]}
    files["b.jsonl"].unlink()
    result = _plan(root, known)
    assert result.gone == [str(files["b.jsonl"])] and result.jobs == [] and result.seen == 1


def test_named_paths_are_planned_once_and_a_missing_one_is_gone(tmp_path: Path) -> None:
    root = tmp_path / "projects"
    files = _files(root, {"a.jsonl": 1})
    missing = root / "p" / "nope.jsonl"
    named = [files["a.jsonl"], files["a.jsonl"], missing]
    result = plan(Roots((root,)), {}, [], named, False, [])
    assert [j.path for j in result.jobs] == [files["a.jsonl"]]
    assert (result.seen, result.gone) == (1, [str(missing)])


def test_stored_positions_load_as_plain_rows_in_file_state_order(tmp_path: Path) -> None:
    root = tmp_path / "projects"
    odd = Path(os.fsdecode(bytes(root) + b"/caf\xe9/s\xff.jsonl"))  # stored as a BLOB
    plain = root / "p" / "s.jsonl"
    for path in (odd, plain):
        write_jsonl(path, [assistant("msg_" + path.name, 5)])
    ledger = Ledger.open(tmp_path / "l.db")
    Engine(Roots((root,)), ledger).refresh()
    rows = ledger.file_states()
    ledger.close()
    assert sorted(rows) == sorted([str(odd), str(plain)])
    for path in (odd, plain):
        row, st = rows[str(path)], path.stat()
        assert type(row) is tuple and row[0] == str(path)  # text, not the stored bytes
        assert FileState(*row)[:5] == (str(path), st.st_dev, st.st_ino, st.st_size, st.st_size)
    # A new engine on the same ledger plans nothing: the loaded rows match the files.
    again = Ledger.open(tmp_path / "l.db")
    assert Engine(Roots((root,)), again).refresh().stats.files_read == 0
    again.close()


def test_a_new_engine_knows_every_stored_sessions_project_as_before(tmp_path: Path) -> None:
    root = tmp_path / "projects"
    write_jsonl(root / "p" / "a.jsonl", [assistant("msg_1", 5, session="s-a", cwd="/home/u/a")])
    ledger = Ledger.open(tmp_path / "l.db")
    Engine(Roots((root,)), ledger).refresh()
    ledger.name_session("s-named", "a name")  # named, never seen in a transcript: no project
    by_meta = {m.session_id: m.project_path for m in ledger.sessions().values()}
    assert by_meta == {"s-a": "/home/u/a", "s-named": ""}
    assert ledger.projects() == by_meta
    assert Engine(Roots((root,)), ledger).projects == by_meta
    ledger.close()


def test_a_listing_older_than_the_positions_is_no_truncation_and_nothing_gone(
    tmp_path: Path,
) -> None:
    # A listing is a moment (a report's is made while it starts: adapters/early_listing.py);
    # meanwhile the tray read on and stored newer positions, of a grown file and of a file
    # made after the listing. Neither is a truncation to read again from 0, nor gone.
    root = tmp_path / "projects"
    files = _files(root, {"grown.jsonl": 1, "other.jsonl": 2})
    grown, other = files["grown.jsonl"], files["other.jsonl"]
    listed = {str(p): p.stat() for p in files.values()}
    with open(grown, "ab") as handle:
        handle.write(b'{"b": 2}\n' * 3)
    made = root / "p" / "made.jsonl"
    made.write_bytes(b'{"c": 3}\n')
    known = {str(p): _row(p) for p in (grown, other, made)}  # stored after the listing
    with open(grown, "ab") as handle:
        handle.write(b'{"d": 4}\n')  # and one more line since
    ids = [roots_ledger.root_id(root)]
    result = plan(Roots((root,)), known, ids, None, False, [], listed)
    assert result.resets == 0 and result.gone == []
    assert [(j.path, j.offset, j.size) for j in result.jobs] == [(grown, known[str(grown)][4], 9)]
    # A real truncation is still one, and a deleted file still gone.
    grown.write_bytes(b"")
    made.unlink()
    result = plan(Roots((root,)), known, ids, None, False, [], {**listed, str(grown): grown.stat()})
    assert result.resets == 1 and result.gone == [str(made)]
