"""Reports cover the roots asked for; the ledger remembers each response's roots."""

from __future__ import annotations

import io
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from tests.builders import assistant, write_jsonl
from tray_app.adapters import bulk_read
from tray_app.adapters import roots_ledger as rl
from tray_app.adapters.discovery import Roots
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.scanner import Engine
from tray_app.cli.environment import Environment
from tray_app.cli.main import main

NOW = "2026-02-11T20:00:00+00:00"


def run(args: list[str], tmp_path: Path, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    environ = {
        "TOKEN_MONITOR_DB": str(tmp_path / "db" / "l.db"),
        "TOKEN_MONITOR_CONFIG": str(tmp_path / "none.yaml"),
        **(env or {}),
    }
    code = main(args, Environment(out, err, environ))
    return code, out.getvalue(), err.getvalue()


def totals(args: list[str], tmp_path: Path, env: dict[str, str] | None = None) -> Any:
    code, out, err = run([*args, "--json", "--now", NOW], tmp_path, env)
    assert code == 0, err
    return json.loads(out)["totals"]


def _roots(tmp_path: Path) -> tuple[Path, Path]:
    """Root A: two responses; root B: one of its own plus a copy of one of A's."""
    a, b = tmp_path / "a", tmp_path / "b"
    write_jsonl(
        a / "projects" / "-p" / "s1.jsonl",
        [assistant("msg_1", 1000, minutes=0, request="r1"),
         assistant("msg_2", 2000, minutes=5, request="r2")],
    )  # fmt: skip
    write_jsonl(
        b / "projects" / "-q" / "s2.jsonl",
        [assistant("msg_3", 30, minutes=10, request="r3", session="sess-2"),
         assistant("msg_2", 2000, minutes=5, request="r2")],
    )  # fmt: skip
    return a, b


def test_reports_cover_only_the_roots_asked_for(tmp_path: Path) -> None:
    a, b = _roots(tmp_path)
    assert totals(["status", "--data-dir", str(a)], tmp_path)["output_tokens"] == 3000
    # The ledger now holds A's responses; a report on B must not show them (it did: 3030).
    got = totals(["sessions", "--data-dir", str(b)], tmp_path)
    assert (got["output_tokens"], got["responses"]) == (2030, 2)  # B's own + the shared copy
    got = totals(["status", "--data-dir", str(b)], tmp_path)
    assert got["output_tokens"] == 2030
    # CLAUDE_CONFIG_DIR is honoured the same way.
    got = totals(["daily"], tmp_path, {"CLAUDE_CONFIG_DIR": str(a)})
    assert got["output_tokens"] == 3000
    both = totals(["status", "--data-dir", str(a), "--data-dir", str(b)], tmp_path)
    assert (both["output_tokens"], both["responses"]) == (3030, 3)  # the copy counts once


def test_a_run_on_other_roots_keeps_read_positions(tmp_path: Path) -> None:
    a, b = _roots(tmp_path)
    totals(["status", "--data-dir", str(a)], tmp_path)
    totals(["status", "--data-dir", str(b)], tmp_path)
    ledger = Ledger.open(tmp_path / "db" / "l.db")
    paths = sorted(ledger.file_states())
    ledger.close()
    assert paths == [str(a / "projects/-p/s1.jsonl"), str(b / "projects/-q/s2.jsonl")]


def test_roots_are_recorded_by_the_parallel_reader_too(tmp_path: Path) -> None:
    a, b = _roots(tmp_path)
    files = [a / "projects/-p/s1.jsonl", b / "projects/-q/s2.jsonl"]
    result = bulk_read.read_range([(str(f), 0, 0, f.stat().st_size, f.name) for f in files])
    assert {p: sorted(k) for p, k in result.keys.items()} == {
        str(files[0]): ["msg_1", "msg_2"],
        str(files[1]): ["msg_2", "msg_3"],
    }
    assert len(result.winners) == 3  # the shared copy was deduped inside the range


def test_an_old_ledger_learns_roots_by_reading_once_and_keeps_orphans(tmp_path: Path) -> None:
    a, _ = _roots(tmp_path)
    db = tmp_path / "old.db"
    ledger = Ledger.open(db)
    Engine(Roots((a / "projects",)), ledger).refresh()
    # Make it look like a ledger from before roots were recorded, with one response whose
    # transcript is gone.
    ledger.db.execute_sql("DELETE FROM response_roots")
    ledger.db.execute_sql("DELETE FROM meta WHERE key = ?", (rl.VERSION_KEY,))
    ledger.db.execute_sql(
        "INSERT INTO responses SELECT 'orphan', ts, session_id, model, input, output, cache_5m,"
        " cache_1h, cache_read, web_search, speed, geo, cost_usd, sidechain, message_id,"
        " request_id FROM responses LIMIT 1"
    )
    assert ledger.file_states()
    engine = Engine(Roots((a / "projects",)), ledger)
    assert engine.files == {}  # positions cleared once: everything is read again
    result = engine.refresh()
    assert result.stats.new_responses == 0  # re-reading counted nothing twice
    roots, unknown = rl.remembered(ledger)
    assert [(i.root, i.responses) for i in roots] == [(str(a / "projects"), 2)]
    assert unknown == 1  # the orphan: kept, shown in every report
    assert "orphan" in {e.key for e in Engine(Roots((tmp_path / "none",)), ledger).entries}
    assert rl.ensure_attributed(ledger) is False  # only once
    ledger.close()


def test_forget_root_says_what_goes_then_removes_only_that(tmp_path: Path) -> None:
    a, b = _roots(tmp_path)
    totals(["status", "--data-dir", str(a), "--data-dir", str(b)], tmp_path)
    code, out, _ = run(["roots", "--json"], tmp_path)
    listed = json.loads(out)
    assert code == 0 and [r["root"] for r in listed["remembered_roots"]] == [
        str(a / "projects"),
        str(b / "projects"),
    ]
    assert [(r["responses"], r["only_here"]) for r in listed["remembered_roots"]] == [
        (2, 1),
        (2, 1),
    ]
    code, out, _ = run(["forget-root", str(a)], tmp_path)
    assert code == 0
    assert "1 counted responses read only from it" in out
    assert "recounts 1 responses that also have copies in " + str(b / "projects") in out
    assert "Nothing changed" in out
    assert (
        totals(["status", "--data-dir", str(a), "--data-dir", str(b)], tmp_path)["responses"] == 3
    )
    code, out, _ = run(["forget-root", str(a), "--yes"], tmp_path)
    assert code == 0 and "Forgot " in out
    con = sqlite3.connect(tmp_path / "db" / "l.db")
    keys = sorted(k for (k,) in con.execute("SELECT key FROM responses"))
    files = [p for (p,) in con.execute("SELECT path FROM files")]
    con.close()
    assert keys == ["msg_3"] and files == []  # B's files are read again for the shared one
    got = totals(["status", "--data-dir", str(b)], tmp_path)
    assert (got["output_tokens"], got["responses"]) == (2030, 2)
    code, _, err = run(["forget-root", str(tmp_path / "nowhere")], tmp_path)
    assert code == 4 and "remembers no root" in err


def test_roots_count_files_with_non_utf8_names(tmp_path: Path) -> None:
    a, _ = _roots(tmp_path)
    odd = Path(os.fsdecode(bytes(a / "projects" / "-p") + b"/caf\xe9.jsonl"))
    write_jsonl(odd, [assistant("msg_9", 5, minutes=1, request="r9")])
    totals(["status", "--data-dir", str(a)], tmp_path)
    code, out, err = run(["roots", "--json"], tmp_path)
    assert code == 0, err
    (root,) = json.loads(out)["remembered_roots"]
    assert (root["responses"], root["files"]) == (3, 2)


def test_doctor_lists_the_roots_the_ledger_remembers(tmp_path: Path) -> None:
    a, b = _roots(tmp_path)
    totals(["status", "--data-dir", str(a), "--data-dir", str(b)], tmp_path)
    code, out, err = run(["doctor", "--json", "--data-dir", str(b)], tmp_path)
    assert code == 0, err
    ledger = json.loads(out)["ledger"]
    assert [r["root"] for r in ledger["remembered_roots"]] == [
        str(a / "projects"),
        str(b / "projects"),
    ]
    assert ledger["unknown_root_responses"] == 0
    code, out, _ = run(["doctor", "--data-dir", str(b)], tmp_path)
    assert f"  {a / 'projects'}: 2 responses (1 only there), 1 files" in out.splitlines()


def test_the_first_scan_stores_the_root_list_so_no_command_scans_the_table(
    tmp_path: Path,
) -> None:
    a, b = _roots(tmp_path)
    totals(["status", "--data-dir", str(a / "projects")], tmp_path)
    db = sqlite3.connect(tmp_path / "db" / "l.db")
    try:
        row = db.execute("SELECT value FROM meta WHERE key = ?", (rl.ROOTS_KEY,)).fetchone()
    finally:
        db.close()
    # Before, the list was written only when a root was missing from it, and the table
    # (already holding the new root) made it look present: it was never stored.
    assert row is not None and json.loads(row[0]) == [rl.root_id(a / "projects")]
    assert totals(["status", "--data-dir", str(b / "projects")], tmp_path)["output_tokens"] == 2030
