"""read_small: regular files only, bounded, never waits on a FIFO or reads /dev/zero."""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path

import pytest

from tray_app.adapters.small_files import read_small


def test_reads_a_regular_file_through_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles.json"
    real.write_bytes(b'{"a": 1}')
    (tmp_path / "settings.json").symlink_to(real)
    assert read_small(tmp_path / "settings.json", 100) == b'{"a": 1}'


def test_missing_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_small(tmp_path / "none", 100)


def test_too_large_is_refused(tmp_path: Path) -> None:
    (tmp_path / "big").write_bytes(b"x" * 101)
    with pytest.raises(OSError) as info:
        read_small(tmp_path / "big", 100)
    assert info.value.errno == errno.EFBIG


@pytest.mark.parametrize("kind", ["fifo", "dev_zero"])
def test_a_fifo_or_device_is_refused_at_once(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "config.yaml"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    got: list[BaseException] = []

    def read() -> None:
        try:
            read_small(path, 1 << 20)
        except OSError as exc:
            got.append(exc)

    worker = threading.Thread(target=read, daemon=True)
    worker.start()
    worker.join(5)
    assert len(got) == 1 and "not a regular file" in str(got[0])
