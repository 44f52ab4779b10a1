"""Discovery with os.scandir lists exactly what the os.walk + pathlib rules listed."""

from __future__ import annotations

import gc
import os
import stat
from pathlib import Path

import pytest

from tray_app.adapters import listing
from tray_app.adapters.discovery import Roots, scan_transcripts
from tray_app.adapters.listing import IGNORED_DIRS, is_transcript


def _reference(roots: Roots) -> list[tuple[str, int]]:
    """The rules as os.walk + Path.stat spelled them before (symlinked dirs not entered)."""
    found: dict[str, int] = {}
    for root in roots.dirs:
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames[:] = [d for d in dirnames if d not in IGNORED_DIRS]
            for name in filenames:
                path = Path(dirpath, name)
                if not is_transcript(name):
                    continue
                try:
                    st = path.stat()
                except OSError:
                    continue
                if stat.S_ISREG(st.st_mode):
                    found[str(path)] = st.st_mtime_ns
    return sorted(found.items(), key=lambda kv: (kv[1], kv[0]))


def _tree(root: Path, outside: Path) -> None:
    names = ["a.jsonl", "caf\udce9.jsonl", "journal.jsonl", "notes.txt", "s p a c e.jsonl"]
    for i, sub in enumerate(["p1", "p1/sub/agents", "p2", "tool-results", "p2/tool-results"]):
        d = root / sub
        d.mkdir(parents=True, exist_ok=True)
        for j, name in enumerate(names):
            f = d / name
            f.write_bytes(b"{}\n")
            os.utime(f, ns=(10**9 * (i * 10 + j), 10**9 * (1000 - i * 10 - j)))
    (outside / "linked").mkdir(parents=True)
    (outside / "linked" / "x.jsonl").write_bytes(b"{}\n")
    (outside / "target.jsonl").write_bytes(b"{}\n")
    (root / "p1" / "dirlink").symlink_to(outside / "linked")  # not entered
    (root / "p1" / "filelink.jsonl").symlink_to(outside / "target.jsonl")  # followed
    (root / "p1" / "dangling.jsonl").symlink_to(outside / "nowhere")
    (root / "p2" / "dir.jsonl").mkdir()  # a dir named like a transcript
    os.mkfifo(root / "p2" / "fifo.jsonl")


@pytest.mark.parametrize("by_fd", [True, False], ids=["posix", "by-path (Windows)"])
def test_same_files_stats_and_order_as_the_walk_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, by_fd: bool
) -> None:
    monkeypatch.setattr(listing, "_BY_FD", by_fd)
    root = tmp_path / "projects"
    _tree(root, tmp_path / "outside")
    roots = Roots((root,))
    warnings: list[str] = []
    got = scan_transcripts(roots, warnings)
    listed = sorted(((p, st.st_mtime_ns) for p, st in got.items()), key=lambda kv: (kv[1], kv[0]))
    assert listed == _reference(roots)
    assert str(root / "p1" / "filelink.jsonl") in got
    assert not any("dirlink" in p or "tool-results" in p for p in got)
    assert [w.split("/")[-1] for w in warnings] == ["fifo.jsonl: not a regular file"]


def test_non_utf8_names_keep_their_bytes(tmp_path: Path) -> None:
    root = tmp_path / "projects"
    odd = Path(os.fsdecode(bytes(root) + b"/caf\xe9/s\xff.jsonl"))
    odd.parent.mkdir(parents=True)
    odd.write_bytes(b"{}\n")
    [path] = scan_transcripts(Roots((root,)))
    assert os.fsencode(path).endswith(b"/caf\xe9/s\xff.jsonl") and Path(path) == odd


def test_a_relative_root_is_spelled_as_pathlib_spells_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "s.jsonl").write_bytes(b"{}\n")
    monkeypatch.chdir(tmp_path)
    for root in (Path("."), Path("p")):
        [path] = scan_transcripts(Roots((root,)))
        # The ledger keys read positions by this text: it must not change between releases.
        assert path == str(Path(root, "s.jsonl") if root.name else Path("p", "s.jsonl"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root may list any folder")
def test_an_unreadable_dir_is_reported_and_the_rest_listed(tmp_path: Path) -> None:
    root = tmp_path / "projects"
    (root / "ok").mkdir(parents=True)
    (root / "ok" / "s.jsonl").write_bytes(b"{}\n")
    (root / "closed").mkdir()
    (root / "closed").chmod(0)
    warnings: list[str] = []
    try:
        got = scan_transcripts(Roots((root,)), warnings)
    finally:
        (root / "closed").chmod(0o700)
    assert [Path(p).name for p in got] == ["s.jsonl"]
    assert warnings == [f"cannot list {root / 'closed'}: Permission denied"]


def test_a_dir_that_cannot_be_opened_is_reported_and_the_rest_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same rule as the chmod test above, for runs as root (which may open any folder).
    root = tmp_path / "projects"
    for sub in ("ok", "closed"):
        (root / sub).mkdir(parents=True)
        (root / sub / "s.jsonl").write_bytes(b"{}\n")
    real_open = os.open

    def refusing(path: str, flags: int, *args: object, **kwargs: object) -> int:
        if os.fspath(path) == str(root / "closed"):
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    warnings: list[str] = []
    monkeypatch.setattr(os, "open", refusing)
    got = scan_transcripts(Roots((root,)), warnings)
    monkeypatch.undo()
    assert list(got) == [str(root / "ok" / "s.jsonl")]
    assert warnings == [f"cannot list {root / 'closed'}: Permission denied"]


def test_stats_are_those_of_the_files_and_no_descriptor_is_left_open(tmp_path: Path) -> None:
    root = tmp_path / "projects"
    _tree(root, tmp_path / "outside")
    # Without the collector: an earlier test's unclosed file, collected during the scan,
    # would close a descriptor in between (CI saw 34 before, 28 after).
    gc.collect()
    gc.disable()
    try:
        before = len(os.listdir("/proc/self/fd"))
        got = scan_transcripts(Roots((root,)), [])
        assert len(os.listdir("/proc/self/fd")) == before
    finally:
        gc.enable()
    for path, st in got.items():
        real = os.stat(path)
        assert (st.st_dev, st.st_ino, st.st_size) == (real.st_dev, real.st_ino, real.st_size)
