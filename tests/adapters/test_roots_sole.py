"""A ledger fed from one root keeps that root implicit (no response_roots rows) and
answers every roots question exactly as a ledger with one row per response does."""

from __future__ import annotations

import sqlite3
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from tests.builders import assistant, write_jsonl
from tray_app.adapters import bulk_read, scanner, write_mark
from tray_app.adapters import roots_ledger as rl
from tray_app.adapters.discovery import Roots
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.scanner import Engine


def _data(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Roots A and B sharing a response (a larger copy in B), and a file outside both."""
    a, b, out = tmp_path / "a" / "projects", tmp_path / "b" / "projects", tmp_path / "loose"
    write_jsonl(a / "-p" / "s1.jsonl", [assistant(f"msg_{i}", 10 + i, minutes=i) for i in range(6)])
    write_jsonl(
        b / "-q" / "s2.jsonl",
        [assistant("msg_2", 500, minutes=30, session="s2"), assistant("msg_b", 7, session="s2")],
    )
    write_jsonl(out / "x.jsonl", [assistant("msg_x", 3, minutes=40, session="s3")])
    return a, b, out


def _table(db: Path, sql: str) -> list[Any]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _answers(db: Path, roots: list[Path]) -> dict[str, Any]:
    """Everything a reader of the roots' records answers, for each set of roots."""
    ledger = Ledger.open(db)
    try:
        ids = [rl.root_id(r) for r in roots]
        got: dict[str, Any] = {"remembered": rl.remembered(ledger)}
        for n in range(len(ids) + 1):
            for subset in combinations(ids, n):
                got[f"outside {subset}"] = sorted(rl.outside_keys(ledger, list(subset)))
        for root in roots:
            got[f"forget {root}"] = rl.plan_forget(ledger, rl.root_id(root))
            engine = Engine(Roots((root,)), ledger)
            got[f"entries {root}"] = sorted(engine.entries)
        got["responses"] = _table(db, "SELECT * FROM responses ORDER BY key")
        return got
    finally:
        ledger.close()


def _scan(db: Path, roots: tuple[Path, ...], paths: list[Path] | None = None) -> None:
    ledger = Ledger.open(db)
    try:
        Engine(Roots(roots), ledger).refresh(paths)
    finally:
        ledger.close()


def _story(tmp_path: Path, db: Path, steps: int) -> dict[str, Any]:
    a, b, out = _data(tmp_path)
    if steps == 0:  # the root's file and one outside it, read in one scan, one write
        _scan(db, (a,), [a / "-p" / "s1.jsonl", out / "x.jsonl"])
        return _answers(db, [a, b])
    _scan(db, (a,))
    if steps > 1:
        _scan(db, (a,), [out / "x.jsonl"])  # a response of unknown root
    if steps > 2:
        _scan(db, (b,))
    return _answers(db, [a, b])


def _never_sole(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reference: every response gets its rows, as before the sole root existed."""
    monkeypatch.setattr(rl, "_empty", lambda db: False)


@pytest.mark.parametrize("steps", [0, 1, 2, 3])
def test_a_sole_root_answers_as_rows_for_every_response(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, steps: int
) -> None:
    got = _story(tmp_path / "sole", tmp_path / "sole.db", steps)
    with monkeypatch.context() as mp:
        _never_sole(mp)
        want = _story(tmp_path / "rows", tmp_path / "rows.db", steps)
    # The stories ran in different folders: name the roots alike before comparing.
    assert repr(got).replace("/sole/", "/x/") == repr(want).replace("/rows/", "/x/")
    sole_rows = _table(tmp_path / "sole.db", "SELECT COUNT(*) FROM response_roots")[0][0]
    if steps == 1:
        assert sole_rows == 0  # one root: no row at all
        assert rl.remembered(Ledger.open(tmp_path / "sole.db"))[0][0].responses == 6
    else:  # a second root (or none) came: the table is complete from then on
        rows = "SELECT * FROM response_roots ORDER BY root, key"
        assert _table(tmp_path / "sole.db", rows) == [
            (r.replace("/rows/", "/sole/"), k) for r, k in _table(tmp_path / "rows.db", rows)
        ]
        assert sole_rows > 0


def test_forgetting_the_sole_root_empties_the_ledger_and_the_next_scan_starts_again(
    tmp_path: Path,
) -> None:
    a, b, _ = _data(tmp_path)
    db = tmp_path / "l.db"
    _scan(db, (a,))
    ledger = Ledger.open(db)
    plan = rl.forget(ledger, rl.root_id(b))  # another root: nothing of A's goes
    assert (plan.responses, plan.shared) == (0, 0)
    assert len(ledger.load_entries()) == 6
    plan = rl.forget(ledger, rl.root_id(a))
    assert (plan.responses, plan.shared, plan.files) == (6, 0, 1)
    assert ledger.load_entries() == [] and ledger.meta(rl.SOLE_KEY) is None
    ledger.close()
    _scan(db, (b,))
    ledger = Ledger.open(db)
    assert ledger.meta(rl.SOLE_KEY) == rl.root_id(b)
    assert [(i.root, i.responses) for i in rl.remembered(ledger)[0]] == [(rl.root_id(b), 2)]
    ledger.close()


def test_a_bulk_read_written_in_parts_keeps_the_root_implicit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, _ = _data(tmp_path)
    for i in range(6):  # more files: several ranges, a write after each
        write_jsonl(a / "-r" / f"t{i}.jsonl", [assistant(f"msg_t{i}", 5, minutes=50 + i)])
    monkeypatch.setattr(bulk_read, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(bulk_read, "RANGE_BYTES", 1)
    monkeypatch.setattr(bulk_read, "workers", lambda: 2)
    monkeypatch.setattr(scanner, "FLUSH_ENTRIES", 1)
    db = tmp_path / "l.db"
    _scan(db, (a,))
    assert _table(db, "SELECT COUNT(*) FROM response_roots") == [(0,)]
    _scan(db, (b,))  # the second root: A's rows written first, then B's
    ledger = Ledger.open(db)
    roots, unknown = rl.remembered(ledger)
    ledger.close()
    assert [(i.root, i.responses, i.only_here) for i in roots] == [
        (rl.root_id(a), 12, 11),
        (rl.root_id(b), 2, 1),
    ]
    assert unknown == 0


def test_an_old_ledger_without_its_version_mark_forgets_the_sole_root(tmp_path: Path) -> None:
    a, _, _ = _data(tmp_path)
    db = tmp_path / "l.db"
    _scan(db, (a,))
    ledger = Ledger.open(db)
    ledger.db.execute_sql("DELETE FROM meta WHERE key = ?", (rl.VERSION_KEY,))
    assert rl.ensure_attributed(ledger) is True  # unknown roots: read everything again
    assert ledger.meta(rl.SOLE_KEY) is None
    assert rl.remembered(ledger)[1] == 6
    ledger.close()


def _old_release_record(ledger: Ledger, seen: Any, written: Any = (), rooted: Any = 0) -> None:
    """How the release before the sole mark recorded roots: a row per key, mark unseen."""
    with ledger.writing() as raw:
        db: Any = raw
        for root in sorted(seen):
            db.cursor().executemany(
                "INSERT OR IGNORE INTO response_roots (root, key) VALUES (?, ?)",
                [(root, key) for key in sorted(seen[root])],
            )
        rl._set_known(db, rl._known(db) | {r for r in seen if seen[r]})


def test_an_older_release_reading_a_second_root_in_is_made_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, _ = _data(tmp_path / "mixed")
    db = tmp_path / "mixed.db"
    _scan(db, (a,))  # this release: A's root is implicit
    with monkeypatch.context() as mp:
        mp.setattr(rl, "record", _old_release_record)
        _scan(db, (b,))  # an older release reads B in, rows for B only, the mark left
    assert _table(db, f"SELECT value FROM meta WHERE key = '{rl.SOLE_KEY}'") == [(rl.root_id(a),)]
    ledger = Ledger.open(db)
    mark = write_mark.current(ledger)
    assert rl.outside_keys(ledger, [rl.root_id(a)]) == set()  # wrong: B's msg_b counted for A
    ledger.close()

    _scan(db, (a,))  # this release again: rows made whole, A read once more
    got = _answers(db, [a, b])
    with monkeypatch.context() as mp:
        _never_sole(mp)
        a2, b2, _ = _data(tmp_path / "rows")
        _scan(tmp_path / "rows.db", (a2,))
        _scan(tmp_path / "rows.db", (b2,))
        want = _answers(tmp_path / "rows.db", [a2, b2])
    strip = str(tmp_path / "rows")
    assert repr(got).replace(str(tmp_path / "mixed"), strip) == repr(want)
    assert _table(db, f"SELECT value FROM meta WHERE key = '{rl.SOLE_KEY}'") == []
    ledger = Ledger.open(db)
    assert write_mark.current(ledger) != mark  # a running tray starts again
    assert rl.outside_keys(ledger, [rl.root_id(a)]) == {"msg_b"}
    ledger.close()
