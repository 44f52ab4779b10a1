"""Reading on several processes gives exactly the sequential result, forked or spawned."""

from __future__ import annotations

import os
import runpy
import threading
from pathlib import Path

import pytest

from tests.builders import assistant, write_jsonl
from tray_app.adapters import bulk_read
from tray_app.adapters.discovery import Roots
from tray_app.adapters.scanner import Engine


def _data(root: Path) -> None:
    for i in range(6):
        lines = [assistant(f"msg_{j}", 5 + i, session=f"s{i}", minutes=j) for j in range(i, i + 4)]
        f = write_jsonl(root / "p" / f"s{i}.jsonl", lines)  # type: ignore[arg-type]
        os.utime(f, (1000 + i, 1000 + i))


def _result(root: Path) -> list[tuple[str, int, str]]:
    engine = Engine(Roots((root,)))
    engine.refresh()
    return sorted((e.key, e.output_tokens, e.session_id) for e in engine.entries)


@pytest.mark.parametrize("with_gui_thread", [False, True])
def test_parallel_equals_sequential(tmp_path: Path, with_gui_thread: bool) -> None:
    root = tmp_path / "projects"
    _data(root)
    sequential = _result(root)
    mp = pytest.MonkeyPatch()
    mp.setattr(bulk_read, "PARALLEL_MIN_BYTES", 0)
    mp.setattr(bulk_read, "workers", lambda: 2)
    stop = threading.Event()
    gui = threading.Thread(target=stop.wait, name="gui")  # forces the spawn start method
    if with_gui_thread:
        gui.start()
    try:
        assert _result(root) == sequential
    finally:
        stop.set()
        mp.undo()
    # First seen wins attribution across ranges: msg_3 is in s0..s3, s0 is oldest.
    assert ("msg_3", 8, "s0") in sequential


def test_spawned_children_do_not_start_the_app() -> None:
    # A spawned reader imports the main module as __mp_main__: it must not run main().
    namespace = runpy.run_module("tray_app", run_name="__mp_main__")
    assert "main" in namespace
