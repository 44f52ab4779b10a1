"""The status line's private files: never hang on a FIFO, never obey another user's file."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tray_app.adapters.rate_capture import CaptureStore
from tray_app.adapters.spool_files import (
    SETUP,
    SPOOL,
    append_record,
    data_dir,
    read_json,
    write_json,
)
from tray_app.cli.statusline_cmd import run as run_statusline


def finishes(call: Callable[[], object], seconds: float = 5.0) -> object:
    """The call's result, failing (instead of hanging the suite) when it blocks."""
    box: list[object] = []
    worker = threading.Thread(target=lambda: box.append(call()), daemon=True)
    worker.start()
    worker.join(seconds)
    assert box, "blocked"
    return box[0]


def test_a_fifo_in_place_of_a_file_is_skipped_not_waited_on(tmp_path: Path) -> None:
    # A FIFO at statusline.json or rate-limits.jsonl hung the status line (and Claude Code's UI).
    os.mkfifo(tmp_path / SETUP)
    os.mkfifo(tmp_path / SPOOL)
    assert finishes(lambda: read_json(str(tmp_path / SETUP))) is None
    assert finishes(lambda: append_record(str(tmp_path), {"t": 1.0})) is False
    assert (tmp_path / SPOOL).is_fifo()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to make another user's file")
def test_another_users_setup_file_is_not_obeyed(tmp_path: Path) -> None:
    # With the data dir in a shared folder (TOKEN_MONITOR_DB=/tmp/x), another user's
    # statusline.json named a "previous" command that the status line ran.
    marker = tmp_path / "ran"
    setup = tmp_path / SETUP
    setup.write_text(json.dumps({"previous": {"command": f"touch {marker}; echo theirs"}}))
    os.chown(setup, 65534, 65534)
    spool = tmp_path / SPOOL
    spool.write_bytes(b"")
    os.chown(spool, 65534, 65534)
    env = {"TOKEN_MONITOR_DB": str(tmp_path / "l.db")}
    payload = json.dumps({"rate_limits": {"five_hour": {"used_percentage": 5}}}).encode()
    assert run_statusline(payload, env, 1_800_000_000.0) == "5h 5%"
    assert not marker.exists()
    assert spool.read_bytes() == b""  # their spool is not written either


def test_write_json_never_writes_through_a_pre_made_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    planted = tmp_path / f"state.json.{os.getpid()}.tmp"
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    planted.symlink_to(victim)
    write_json(str(target), {"a": 1})
    assert json.loads(target.read_text()) == {"a": 1}
    assert victim.read_text() == "keep me"
    assert (target.stat().st_mode & 0o777) == 0o600


def test_the_apps_reader_skips_a_fifo_spool(tmp_path: Path) -> None:
    # `limits`, `status`, `doctor` and the tray hung on a FIFO named rate-limits.jsonl.
    os.mkfifo(tmp_path / SPOOL)
    store = CaptureStore(str(tmp_path))
    assert finishes(store.refresh) is False
    assert store.captures == {}


def test_a_db_path_naming_a_folder_never_puts_files_beside_that_folder(tmp_path: Path) -> None:
    # TOKEN_MONITOR_DB=/tmp (or $HOME) made the status line write its spool into "/" (or
    # /home): the ledger there is refused, so the files go to the default folder instead.
    folder = tmp_path / "shared"
    folder.mkdir()
    home = tmp_path / "home"
    env = {"TOKEN_MONITOR_DB": str(folder), "XDG_DATA_HOME": str(home / "data")}
    assert data_dir(env) == str(home / "data" / "token-monitor")
    assert data_dir({"TOKEN_MONITOR_DB": str(folder / "l.db")}) == str(folder)
