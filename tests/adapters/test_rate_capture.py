"""The status-line spool: private files, incremental reads, torn lines, rotation."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import platformdirs
import pytest

from tray_app.adapters import rate_capture, spool_files
from tray_app.adapters.rate_capture import CaptureStore, record_for
from tray_app.adapters.spool_files import SPOOL, append_record, data_dir, read_json, write_json

NOW = 1_800_000_000.0


def rl(five: float, week: float | None = None) -> dict[str, dict[str, float]]:
    out = {"five_hour": {"used_percentage": five, "resets_at": NOW + 3600}}
    if week is not None:
        out["seven_day"] = {"used_percentage": week, "resets_at": NOW + 86400}
    return out


def test_spool_and_dir_are_private(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    assert append_record(str(folder), record_for(rl(10), NOW, "statusline"))
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / SPOOL).stat().st_mode) == 0o600
    write_json(str(folder / "state.json"), {"a": 1})
    assert stat.S_IMODE((folder / "state.json").stat().st_mode) == 0o600
    assert read_json(str(folder / "state.json")) == {"a": 1}


def test_oversized_record_is_refused(tmp_path: Path) -> None:
    assert not append_record(str(tmp_path), {"x": "y" * 5000})
    assert not (tmp_path / SPOOL).exists()


def test_store_reads_only_new_records_and_keeps_the_newest(tmp_path: Path) -> None:
    store = CaptureStore(str(tmp_path))
    assert not store.refresh()  # no spool yet
    append_record(str(tmp_path), record_for(rl(10, 40), NOW, "statusline", "s1", "opus"))
    assert store.refresh()
    assert store.captures["five_hour"].percent == 10
    assert store.captures["seven_day"].session_id == "s1"
    assert not store.refresh()  # nothing appended: nothing read
    append_record(str(tmp_path), record_for(rl(12), NOW + 5, "statusline"))
    assert store.refresh()
    assert store.captures["five_hour"].percent == 12
    assert store.captures["seven_day"].percent == 40  # kept from the earlier record


def test_torn_and_foreign_lines_are_skipped(tmp_path: Path) -> None:
    spool = tmp_path / SPOOL
    spool.write_bytes(b'garbage\n[1,2]\n{"t": "x"}\n{"t": 1800000000, "rl": {"five_hour": ')
    store = CaptureStore(str(tmp_path))
    assert not store.refresh() and store.captures == {}
    with spool.open("ab") as f:  # the writer finishes its line
        f.write(b'{"used_percentage": 33}}}\n')
    assert store.refresh() and store.captures["five_hour"].percent == 33


def test_rotation_keeps_the_latest_figures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rate_capture, "ROTATE_AT", 300)
    store = CaptureStore(str(tmp_path))
    append_record(str(tmp_path), record_for(rl(5, 50), NOW, "statusline"))
    for i in range(5):
        append_record(str(tmp_path), record_for(rl(6 + i), NOW + i, "statusline"))
    store.refresh(rotate=True)
    assert not (tmp_path / SPOOL).exists()
    append_record(str(tmp_path), record_for(rl(20), NOW + 10, "statusline"))
    assert store.refresh()
    # A second reader (the CLI) starting after the rotation still sees the weekly figure.
    fresh = CaptureStore(str(tmp_path))
    fresh.refresh()
    assert {k: w.percent for k, w in fresh.captures.items()} == {"five_hour": 20, "seven_day": 50}


def test_usage_api_records_keep_their_origin(tmp_path: Path) -> None:
    store = CaptureStore(str(tmp_path))
    assert store.add(rl(44), "usage_api", NOW)
    store.refresh()
    assert store.captures["five_hour"].origin == "usage_api"


@pytest.mark.skipif(sys.platform == "win32", reason="XDG layout")
def test_data_dir_matches_platformdirs_without_importing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TOKEN_MONITOR_DB"}
    monkeypatch.delenv("TOKEN_MONITOR_DB", raising=False)
    assert data_dir(env) == platformdirs.user_data_dir("token-monitor", appauthor=False)
    assert data_dir({"TOKEN_MONITOR_DB": "/x/y/l.db"}) == "/x/y"


def test_writer_bounds_the_spool_without_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spool_files, "SPOOL_MAX", 1000)
    for i in range(30):
        assert append_record(str(tmp_path), record_for(rl(i), NOW + i, "statusline"))
    sizes = [(tmp_path / name).stat().st_size for name in (SPOOL, spool_files.SPOOL_OLD)]
    assert all(size <= 1000 + 200 for size in sizes)
    store = CaptureStore(str(tmp_path))
    store.refresh()
    assert store.captures["five_hour"].percent == 29


def test_a_late_reader_reads_only_the_tail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rate_capture, "TAIL", 500)
    for i in range(50):
        append_record(str(tmp_path), record_for(rl(i, 50 + i), NOW + i, "statusline"))
    store = CaptureStore(str(tmp_path))
    assert store.refresh()
    assert (store.captures["five_hour"].percent, store.captures["seven_day"].percent) == (49, 99)
    append_record(str(tmp_path), record_for(rl(77), NOW + 60, "statusline"))
    assert store.refresh() and store.captures["five_hour"].percent == 77
