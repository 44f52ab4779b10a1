"""No name, tag, description, cwd, model or id reaches the terminal as a control sequence.

Every command runs for real (`main` with captured streams) on transcripts and a ledger
holding hostile strings; outputs are compared byte for byte.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import unicodedata
from pathlib import Path

import pytest

from tests.builders import assistant, write_jsonl
from tray_app.adapters.ledger import Ledger
from tray_app.cli.environment import Environment, ExitStatus
from tray_app.cli.main import main

# Window title, clear screen, carriage return, a forged line, a bidi override, C1 CSI.
EVIL = "ok\x1b]0;pwned\x07\x1b[2J\rforged\nline\u202eevil\x9b31m!"
SHOWN = "ok forged lineevil!"
SID = "aaaa1111-0000-4000-8000-000000000001"
OTHER = "bbbb2222-0000-4000-8000-000000000002"
NOW = "2026-02-10T23:00:00+00:00"


def _unsafe(text: str) -> list[str]:
    """Characters a terminal could act on (line breaks are the output's own)."""
    return [
        ch
        for ch in text
        if ch != "\n" and (unicodedata.category(ch) in ("Cc", "Cf", "Cs") or ch in "\u2028\x85")
    ]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    root = tmp_path / "claude" / "projects" / "p"
    write_jsonl(
        root / "s1.jsonl",
        [assistant("msg_1", 10, session=SID, cwd="/home/u/" + EVIL, model="claude-" + EVIL)],
    )
    write_jsonl(root / "s2.jsonl", [assistant("msg_2", 20, session=OTHER, minutes=5)])
    return tmp_path / "claude"


def run(args: list[str], tmp_path: Path, data: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(
        out,
        err,
        {
            "TOKEN_MONITOR_DB": str(tmp_path / "db" / "l.db"),
            "TOKEN_MONITOR_CONFIG": str(tmp_path / "none.yaml"),
        },
    )
    code = main([*args, "--data-dir", str(data), "--now", NOW], env)
    return code, out.getvalue(), err.getvalue()


def plant_name(tmp_path: Path, data: Path, name: str, tags: str = "", about: str = "") -> None:
    """A name stored before names were checked (or by another tool): bypasses `name`."""
    assert run(["sessions"], tmp_path, data)[0] == 0  # creates and fills the ledger
    ledger = Ledger.open(tmp_path / "db" / "l.db")
    ledger.name_session(SID, name, tags, about)
    ledger.close()


def test_sessions_table_and_compact_show_cleaned_names_paths_and_models(
    tmp_path: Path, data: Path
) -> None:
    plant_name(tmp_path, data, "name" + EVIL)
    code, out, err = run(["sessions"], tmp_path, data)
    assert code == 0 and _unsafe(out) == [] and _unsafe(err) == []
    rows = out.splitlines()
    row = next(r for r in rows if "name" + SHOWN in r)  # the name's cell, cleaned, one row
    assert "claude-" in row or "ok forged" in row
    assert not any(r.lstrip().startswith(("line", "forged", "evil")) for r in rows)
    code, out, _ = run(["session", "aaaa", "--compact"], tmp_path, data)
    assert out == f"name{SHOWN} · 13 tokens · unpriced\n"


def test_one_session_head_lines_are_cleaned(tmp_path: Path, data: Path) -> None:
    plant_name(tmp_path, data, "n\nForged: yes", tags="t\x1b[2J,x", about="a\u202eb\rc")
    code, out, _ = run(["session", SID], tmp_path, data)
    assert code == 0 and _unsafe(out) == []
    head = out.split("\n\n")[0].split("\n")
    assert head == [
        f"Session   {SID}",
        "Name      n Forged: yes",
        f"Project   /home/u/{SHOWN}",
        "Active    2026-02-10 21:11 → 2026-02-10 21:11",
        "Tags      t,x",
        "About     ab c",
    ]


def test_status_models_line_and_warnings_are_cleaned(tmp_path: Path, data: Path) -> None:
    code, out, err = run(["status"], tmp_path, data)
    assert code == 0 and _unsafe(out) == [] and _unsafe(err) == []
    assert f"  Models      claude-opus-4-6, claude-{SHOWN}" in out.splitlines() or (
        f"  Models      claude-{SHOWN}, claude-opus-4-6" in out.splitlines()
    )
    assert len(err.splitlines()) == 1  # the unpriced-model warning stays one line
    code, out, _ = run(["models"], tmp_path, data)
    assert code == 0 and _unsafe(out) == []
    assert not any(r.lstrip().startswith(("line", "evil")) for r in out.splitlines())


def test_csv_export_is_cleaned_and_never_a_formula(tmp_path: Path, data: Path) -> None:
    root = data / "projects" / "p"
    write_jsonl(
        root / "s3.jsonl", [assistant("msg_3", 5, session="cccc", cwd="=cmd|' /C calc'!A0")]
    )
    code, out, _ = run(["export"], tmp_path, data)
    assert code == 0 and _unsafe(out) == []
    rows = {r["message_id"]: r for r in csv.DictReader(io.StringIO(out))}
    assert len(out.splitlines()) == 4  # header + three responses: no forged record
    assert (rows["msg_1"]["project_path"], rows["msg_1"]["model"]) == (
        "/home/u/" + SHOWN,
        "claude-" + SHOWN,
    )
    assert rows["msg_3"]["project_path"] == "'=cmd|' /C calc'!A0"


def test_json_export_keeps_exact_values_but_escapes_every_control(
    tmp_path: Path, data: Path
) -> None:
    code, out, _ = run(["export", "--format", "json"], tmp_path, data)
    assert code == 0 and _unsafe(out) == []
    assert "\\u001b]0;pwned\\u0007\\u001b[2J\\rforged\\nline\\u202eevil\\u009b31m!" in out
    got = {r["message_id"]: r for r in json.loads(out)["responses"]}
    assert got["msg_1"]["project_path"] == "/home/u/" + EVIL  # lossless: JSON is data
    code, out, _ = run(["sessions", "--json"], tmp_path, data)
    assert _unsafe(out) == [] and "\\u202e" in out


def test_name_refuses_controls_duplicates_id_lookalikes_and_long_names(
    tmp_path: Path, data: Path
) -> None:
    def name(*args: str) -> tuple[int, str]:
        code, _, err = run(["name", *args], tmp_path, data)
        return code, err

    assert name(SID, "evil\x1b]0;x\x07") == (
        ExitStatus.USAGE,
        "token-monitor: error: the name contains control characters (U+0007, U+001B); "
        "use plain text\n",
    )
    assert name(SID, "two\nlines")[0] == ExitStatus.USAGE
    assert name(SID, "x" * 81) == (
        ExitStatus.USAGE,
        "token-monitor: error: the name has 81 characters; at most 80 are allowed\n",
    )
    assert name(SID, "ok", "--tag", "t\x1b[2J")[0] == ExitStatus.USAGE
    assert name(SID, "ok", "--description", "a\u202eb")[0] == ExitStatus.USAGE
    assert name(OTHER, "Refactor")[0] == ExitStatus.OK
    assert name(SID, "refactor") == (
        ExitStatus.USAGE,
        "token-monitor: error: session bbbb2222 is already named 'Refactor'; pick another name\n",
    )
    assert name(SID, "bbbb2")[1] == (
        "token-monitor: error: 'bbbb2' looks like a session id (bbbb2222…); "
        "a name must not be mistaken for an id\n"
    )
    assert name(SID, OTHER)[0] == ExitStatus.USAGE
    assert name(OTHER, "refactor")[0] == ExitStatus.OK  # its own name in another case
    out = run(["sessions", "--json"], tmp_path, data)[1]
    names = {s["session_id"]: s["name"] for s in json.loads(out)["sessions"]}
    assert names == {SID: "", OTHER: "refactor"}  # nothing refused was stored


@pytest.mark.skipif(sys.platform != "linux", reason="file names as arbitrary bytes")
def test_doctor_json_survives_a_non_utf8_file_name(tmp_path: Path, data: Path) -> None:
    raw = os.fsencode(data / "projects" / "p") + b"/caf\xe9.jsonl"
    with open(raw, "wb") as f:
        f.write(b"not json\n")
    code, out, err = run(["doctor", "--json", "--no-ledger"], tmp_path, data)
    assert code == 0, err
    assert out.isascii()  # the fallback escapes everything: nothing raw reaches a terminal
    place = next(p for p in json.loads(out)["bad_places"] if "caf" in p)
    assert os.fsencode(place.split(":")[0]) == raw  # lossless: the bytes come back
    code, out, _ = run(["doctor", "--no-ledger"], tmp_path, data)
    assert code == 0 and f"  {data}/projects/p/caf\ufffd.jsonl:1: " in out


def test_doctor_unpriced_models_stay_on_one_line(tmp_path: Path, data: Path) -> None:
    # A newline in a transcript's model name forged a line in doctor's "Prices" entry.
    code, out, _ = run(["doctor"], tmp_path, data)
    assert code == 0 and _unsafe(out) == []
    prices = [r for r in out.splitlines() if r.startswith("Prices")]
    assert len(prices) == 1 and prices[0].endswith(f"; unpriced: claude-{SHOWN}")
    assert not any(r.lstrip().startswith(("line", "forged", "evil")) for r in out.splitlines())
