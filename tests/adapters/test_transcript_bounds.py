"""One bad line never stops anything: bounds, BOM, id-less lines, stat-size reads, CLI."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.builders import assistant, user, write_jsonl
from tray_app.adapters.discovery import Roots
from tray_app.adapters.ledger import Ledger
from tray_app.adapters.scanner import Engine
from tray_app.adapters.transcript import read_from
from tray_app.cli.environment import Environment
from tray_app.cli.main import main
from tray_app.usage.model import Entry

NOW = "2026-02-10T23:00:00+00:00"


def _bad_lines() -> list[dict[str, object]]:
    huge = assistant("msg_b1", 5)
    huge["message"]["usage"]["input_tokens"] = 2**63
    floaty = assistant("msg_b2", 5)
    floaty["message"]["usage"]["output_tokens"] = 1e30
    year = assistant("msg_b3", 5)
    year["timestamp"] = "9999-12-31T23:59:59Z"
    far = assistant("msg_b4", 5)
    far["timestamp"] = 1e20
    old = assistant("msg_b5", 5)
    old["timestamp"] = "1969-07-20T20:17:00Z"
    neg = assistant("msg_b6", 5)
    neg["message"]["usage"]["cache_read_input_tokens"] = -1
    return [huge, floaty, year, far, old, neg]


def _data(tmp_path: Path) -> Path:
    root = tmp_path / "claude" / "projects" / "p"
    write_jsonl(
        root / "s.jsonl",
        [assistant("msg_1", 5), *_bad_lines(), assistant("msg_2", 7, minutes=1)],  # type: ignore[list-item]
    )
    return tmp_path / "claude"


def test_out_of_range_values_are_bad_lines_with_their_place(tmp_path: Path) -> None:
    f = _data(tmp_path) / "projects" / "p" / "s.jsonl"
    r = read_from(f)
    assert [e.key for e in r.items if isinstance(e, Entry)] == ["msg_1", "msg_2"]
    assert r.bad_count == 6
    assert [b.line for b in r.bad] == [2, 3, 4, 5, 6, 7]
    assert [b.reason for b in r.bad][:3] == [
        "input_tokens out of range",
        "output_tokens out of range",
        "timestamp missing, unparsable or out of range",
    ]


def _cli(args: list[str], tmp_path: Path, data: Path, ledger: bool) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(
        out,
        err,
        {
            "TOKEN_MONITOR_DB": str(tmp_path / "db" / "l.db"),
            "TOKEN_MONITOR_CONFIG": str(tmp_path / "none.yaml"),
        },
    )
    extra = [] if ledger else ["--no-ledger"]
    code = main([*args, "--data-dir", str(data), *extra], env)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("ledger", [True, False])
def test_commands_count_the_rest_and_doctor_lists_the_bad_lines(
    tmp_path: Path, ledger: bool
) -> None:
    data = _data(tmp_path)
    code, out, err = _cli(["status", "--json", "--now", NOW], tmp_path, data, ledger)
    assert code == 0, err
    totals = json.loads(out)["totals"]
    assert (totals["output_tokens"], totals["input_tokens"]) == (12, 6)
    for command in ("blocks", "sessions", "daily", "weekly", "models", "export"):
        code, out, err = _cli([command, "--json"], tmp_path, data, ledger)
        assert code == 0, (command, err)
    code, out, err = _cli(["doctor", "--json"], tmp_path, data, ledger)
    assert code == 0, err
    doctor = json.loads(out)
    f = data / "projects" / "p" / "s.jsonl"
    assert doctor["bad_lines"] == 6 and doctor["responses"] == 2
    assert doctor["bad_places"][0] == f"{f}:2: input_tokens out of range"
    assert doctor["bad_places"][2].startswith(f"{f}:4: timestamp")


def test_the_ledger_holds_only_bounded_values(tmp_path: Path) -> None:
    data = _data(tmp_path)
    write_jsonl(
        data / "projects" / "p" / "s.jsonl",
        [assistant("msg_3", (1 << 40) - 1, input_tokens=(1 << 40) - 1, minutes=2)],
        mode="a",
    )
    ledger = Ledger.open(tmp_path / "l.db")
    Engine(Roots((data / "projects",)), ledger).refresh()
    ledger.close()
    again = Ledger.open(tmp_path / "l.db")
    rows = sorted((e.key, e.output_tokens) for e in again.load_entries())
    assert rows == [("msg_1", 5), ("msg_2", 7), ("msg_3", (1 << 40) - 1)]
    again.close()


def test_a_bom_does_not_drop_the_first_line(tmp_path: Path) -> None:
    f = tmp_path / "a.jsonl"
    write_jsonl(f, [assistant("msg_1", 5), assistant("msg_2", 6)])
    f.write_bytes(b"\xef\xbb\xbf" + f.read_bytes())
    for validate in (False, True):
        r = read_from(f, validate=validate)
        assert [e.key for e in r.items if isinstance(e, Entry)] == ["msg_1", "msg_2"]
        assert r.bad_count == 0


def _id_less(output: int, minutes: float) -> dict[str, object]:
    line = assistant("", output, request=None, minutes=minutes)
    del line["message"]["id"]
    del line["uuid"]
    return line


def test_lines_without_any_id_are_separate_responses_counted_once(tmp_path: Path) -> None:
    projects = tmp_path / "claude" / "projects"
    f = write_jsonl(projects / "p" / "s.jsonl", [_id_less(5, 0), user(), _id_less(7, 1)])  # type: ignore[list-item]
    ledger = Ledger.open(tmp_path / "l.db")
    engine = Engine(Roots((projects,)), ledger)
    engine.refresh()
    assert sorted(e.output_tokens for e in engine.entries) == [5, 7]
    keys = sorted(e.key for e in engine.entries)
    assert len(set(keys)) == 2 and all("||at:" in k for k in keys)
    # Appending and restarting (a re-read from the start, too) never counts them again.
    write_jsonl(f, [_id_less(11, 2)], mode="a")  # type: ignore[list-item]
    engine = Engine(Roots((projects,)), ledger)
    engine.refresh()
    assert sorted(e.output_tokens for e in engine.entries) == [5, 7, 11]
    engine.refresh(validate=True)
    assert sorted(e.output_tokens for e in engine.entries) == [5, 7, 11]
    # The same transcript seen through another root keys its lines the same way.
    copy = tmp_path / "other" / "projects"
    write_jsonl(copy / "p" / "s.jsonl", [], mode="w").write_bytes(f.read_bytes())
    both = Engine(Roots((projects, copy)), None)
    both.refresh()
    assert sorted(e.output_tokens for e in both.entries) == [5, 7, 11]
    ledger.close()


def test_reads_stop_at_the_size_seen_at_stat(tmp_path: Path) -> None:
    f = write_jsonl(tmp_path / "a.jsonl", [assistant("msg_1", 5)])
    size = f.stat().st_size
    write_jsonl(f, [assistant("msg_2", 6)], mode="a")
    r = read_from(f, limit=size)
    assert [e.key for e in r.items if isinstance(e, Entry)] == ["msg_1"]
    assert r.bytes_read == size and r.end_offset == size


def test_an_unterminated_last_line_is_not_rescanned_until_the_file_grows(
    tmp_path: Path,
) -> None:
    projects = tmp_path / "projects"
    f = write_jsonl(projects / "p" / "s.jsonl", [assistant("msg_1", 5)])
    tail = json.dumps(assistant("msg_2", 9)).encode()
    with open(f, "ab") as h:
        h.write(tail[:-5] + b"x" * (2 << 20))  # a long line still being written
    ledger = Ledger.open(tmp_path / "l.db")
    first = Engine(Roots((projects,)), ledger).refresh()
    assert first.stats.bytes_read == f.stat().st_size
    second = Engine(Roots((projects,)), ledger).refresh()
    assert (second.stats.bytes_read, second.stats.files_read) == (0, 0)
    with open(f, "ab") as h:
        h.write(b"\n")
    third = Engine(Roots((projects,)), ledger).refresh()
    assert third.stats.bytes_read > 2 << 20 and third.stats.bad_lines == 1
    ledger.close()


@pytest.mark.parametrize("chunk", [7, 4 << 20])
@pytest.mark.parametrize("validate", [False, True])
def test_many_bad_lines_keep_their_numbers(
    tmp_path: Path, chunk: int, validate: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tray_app.adapters import transcript

    monkeypatch.setattr(transcript, "CHUNK", chunk)
    monkeypatch.setattr(transcript, "MAX_PLACES", 1000)
    lines: list[dict[str, object] | bytes] = []
    for i in range(60):
        lines.append(assistant(f"msg_{i}", 5) if i % 3 else b'{"type":"assistant","usage":')
        lines.append(user())
    f = write_jsonl(tmp_path / "a.jsonl", lines)
    r = read_from(f, validate=validate)
    assert [b.line for b in r.bad] == [1 + 6 * k for k in range(20)]
    assert r.lines == 120 and len(r.items) == 40


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.binary(max_size=60),
            st.sampled_from(
                [
                    json.dumps(assistant("msg_1", 5)).encode(),
                    b"\xef\xbb\xbf" + json.dumps(assistant("msg_2", 6)).encode(),
                    json.dumps(_id_less(3, 0)).encode(),
                    b'{"type":"assistant","message":{"usage":{"input_tokens":1e400}}}',
                ]
            ),
        ),
        max_size=12,
    ),
    st.booleans(),
    st.integers(min_value=1, max_value=64),
)
def test_reading_any_bytes_never_raises(
    tmp_path_factory: pytest.TempPathFactory, parts: list[bytes], validate: bool, chunk: int
) -> None:
    from tray_app.adapters import transcript

    f = tmp_path_factory.mktemp("h") / "a.jsonl"
    data = b"\n".join(parts)
    f.write_bytes(data)
    old = transcript.CHUNK
    transcript.CHUNK = chunk
    try:
        r = read_from(f, validate=validate)
    finally:
        transcript.CHUNK = old
    assert r.end_offset == data.rfind(b"\n") + 1
    assert r.lines == data.count(b"\n") and r.bytes_read == len(data)
    places = [e.key for e in r.items if isinstance(e, Entry) and "||at:" in e.key]
    assert len(set(places)) == len(places)  # id-less lines never merge


def test_an_unterminated_tail_over_the_cap_is_bad_once_and_not_reread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tray_app.adapters import transcript

    monkeypatch.setattr(transcript, "MAX_LINE", 1000)
    monkeypatch.setattr(transcript, "CHUNK", 256)
    projects = tmp_path / "projects"
    f = write_jsonl(projects / "p" / "s.jsonl", [assistant("msg_1", 5)])
    with open(f, "ab") as h:
        h.write(b'{"usage":' + b"x" * 5000)
    ledger = Ledger.open(tmp_path / "l.db")
    first = Engine(Roots((projects,)), ledger).refresh()
    assert (first.stats.bad_lines, first.stats.bytes_read) == (1, f.stat().st_size)
    second = Engine(Roots((projects,)), ledger).refresh()
    assert (second.stats.bad_lines, second.stats.bytes_read) == (0, 0)
    write_jsonl(f, [b"", assistant("msg_2", 6)], mode="a")  # ends the long line, adds one
    engine = Engine(Roots((projects,)), ledger)
    third = engine.refresh()
    assert third.stats.bad_lines == 1
    assert sorted(e.key for e in engine.entries) == ["msg_1", "msg_2"]
    ledger.close()
