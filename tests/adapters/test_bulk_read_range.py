"""One reader's range: the same winners as the counting rule, pickled whole, one buffer reused."""

from __future__ import annotations

import pickle
import tempfile
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.builders import assistant, progress_copy
from tray_app.adapters import bulk_read, transcript
from tray_app.adapters.bulk_read import Job, RangeResult, read_range
from tray_app.adapters.transcript import read_from
from tray_app.usage.dedup import Deduper
from tray_app.usage.model import Entry


def _jobs(paths: list[Path]) -> list[Job]:
    return [(str(p), 0, 0, p.stat().st_size, f"place{i}") for i, p in enumerate(paths)]


def _reference(jobs: list[Job]) -> list[Entry]:
    """The counting rule over every copy in file order (usage/dedup.Deduper)."""
    deduper = Deduper()
    winners: dict[str, Entry] = {}
    for path, offset, lines, size, place in jobs:
        for item in read_from(Path(path), offset, lines, limit=size, place=place).items:
            if type(item) is Entry:
                change = deduper.offer(item)
                if change is not None:
                    winners[item.key] = change.new
    return list(winners.values())


def _typed(entries: list[Entry]) -> list[list[tuple[type, Any]]]:
    return [[(type(v), v) for v in e] for e in entries]


COPY = st.tuples(
    st.sampled_from(["msg_A", "msg_B", "msg_C"]),
    st.integers(0, 3),  # output tokens: ties are common
    st.integers(0, 2),  # input tokens: decides ties of output
    st.integers(0, 1),  # cache reads: equal totals made of different parts
    st.sampled_from(["claude-a", "claude-b"]),  # shows which copy of a tie won
    st.integers(-3, 3),  # minutes: earlier copies move the time
    st.sampled_from(["s1", "s2"]),
    st.booleans(),  # sidechain
    st.booleans(),  # as a progress copy
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(COPY, min_size=1, max_size=8), min_size=1, max_size=3))
def test_winners_follow_the_counting_rule(files: list[list[tuple[Any, ...]]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for n, copies in enumerate(files):
            lines = []
            for key, out, inp, cached, model, minutes, session, side, wrapped in copies:
                line = assistant(
                    key, out, input_tokens=inp, cache_read=cached, model=model,
                    minutes=minutes, session=session, sidechain=side,
                )  # fmt: skip
                lines.append(progress_copy(line, session) if wrapped else line)
            path = Path(tmp) / f"{n}.jsonl"
            path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
            paths.append(path)
        jobs = _jobs(paths)
        result = read_range(jobs)
        assert _typed(result.winners) == _typed(_reference(jobs))
        assert all(type(e) is Entry for e in result.winners)


def test_a_range_pickles_to_the_same_entries(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(
        b"".join(orjson.dumps(assistant(f"msg_{i}", i, minutes=i)) + b"\n" for i in range(50))
    )
    result = read_range(_jobs([path]))
    back = pickle.loads(pickle.dumps(result))
    assert type(back) is RangeResult and len(back.winners) == 50
    assert all(type(e) is Entry for e in back.winners)
    assert _typed(back.winners) == _typed(result.winners)
    assert back.keys == result.keys and back.resets == result.resets
    assert [(p, r.end_offset) for p, r in back.reads] == [  # type: ignore[union-attr]
        (str(path), path.stat().st_size)
    ]


def test_the_read_buffer_is_kept_between_ranges_unless_a_long_line_grew_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transcript, "CHUNK", 256)
    monkeypatch.setattr(transcript, "MAX_LINE", 5000)
    monkeypatch.setattr(bulk_read, "SCRATCH_BYTES", 512)
    monkeypatch.setattr(bulk_read, "_buffers", type(bulk_read._buffers)())
    good = tmp_path / "good.jsonl"
    good.write_bytes(b"".join(orjson.dumps(assistant(f"msg_{i}", i)) + b"\n" for i in range(9)))
    long = tmp_path / "long.jsonl"
    long.write_bytes(b"x" * 3000 + b"\n" + orjson.dumps(assistant("msg_z", 1)) + b"\n")
    first = read_range(_jobs([good]))
    kept = bulk_read._scratch()
    assert read_range(_jobs([good])).winners == first.winners and bulk_read._scratch() is kept
    grown = read_range(_jobs([long]))
    assert [e.key for e in grown.winners] == ["msg_z"]
    assert len(bulk_read._buffers.scratch) > 2 * 512  # grown for the 3000-byte line ...
    assert len(bulk_read._scratch()) == 512  # ... and dropped for the next range
    assert _typed(read_range(_jobs([good])).winners) == _typed(first.winners)


def test_a_file_that_fails_half_way_counts_as_if_it_failed_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its first lines were merged already when the read failed (an I/O error mid-file):
    # the range is read again without it, so none of its copies count or win.
    def write(name: str, *lines: dict[str, Any]) -> Path:
        path = tmp_path / name
        path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
        return path

    a = write("a.jsonl", assistant("msg_A", 1, session="s1"))
    b = write("b.jsonl", assistant("msg_A", 9, session="s2"), assistant("msg_B", 2))
    c = write("c.jsonl", assistant("msg_B", 1, session="s3"), assistant("msg_C", 3, session="s3"))
    real = bulk_read.read_from
    calls: list[str] = []

    def failing(path: Path, *args: Any, **kwargs: Any) -> Any:
        calls.append(path.name)
        read = real(path, *args, **kwargs)
        if path.name == "b.jsonl":
            raise OSError(5, "Input/output error")
        return read

    monkeypatch.setattr(bulk_read, "read_from", failing)
    result = read_range(_jobs([a, b, c]))
    assert calls == ["a.jsonl", "b.jsonl", "a.jsonl", "c.jsonl"]  # read again without b
    assert _typed(result.winners) == _typed(_reference(_jobs([a, c])))
    assert [(w.key, w.output_tokens, w.session_id) for w in result.winners] == [
        ("msg_A", 1, "s1"), ("msg_B", 1, "s3"), ("msg_C", 3, "s3")
    ]  # fmt: skip
    assert result.reads[1] == (str(b), "Input/output error")
    assert list(result.keys) == [str(a), str(c)]
