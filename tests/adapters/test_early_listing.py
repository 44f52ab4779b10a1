"""A report's listing made by a forked child is the scan's own listing, or is not used."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.builders import assistant, write_jsonl
from tray_app.adapters import early_listing, listing_parts
from tray_app.adapters.discovery import find_roots

# Runs in a fresh interpreter: a fork inside pytest's process (which may have threads) is
# what start() refuses. Prints what take() gave next to what the scan lists by itself.
PROBE = """
import json, os, sys
from tray_app.adapters import early_listing as el
from tray_app.adapters.discovery import find_roots, scan_transcripts
from tray_app.adapters.listing import disk_mark
args, dirs, kill, mode = json.loads(sys.argv[1])
if mode == "no second part":
    el._rest = lambda found, runs: os._exit(3)  # the child dies after its first part
if kill:  # the child dies before it lists (not killed from here: a child scheduled
    el._listing = lambda args: os._exit(9)  # first may have listed and sent by then)
started = el.start(args)
roots = find_roots(dirs, os.environ)
said = []
listing = el.take(roots, said)
own_said = []
runs = []
own = scan_transcripts(roots, own_said, runs)
items = list(own.items())
part = runs[1:2]  # one folder's files alone (a start that compares only those)
stat = lambda s: [s.st_size, s.st_ino, s.st_dev, s.st_mtime_ns]
first_part = None
if listing is not None and mode == "part first":  # listed here: the child is not waited for
    first_part = {p: stat(s) for p, s in listing.found(part).items()}
    waiting = listing._child is not None
    listing.close()
    first_part = [first_part, waiting]
got = None if listing is None or mode == "close" else listing.found()
if listing is not None:
    listing.close()
el.discard()  # (the launcher's last step: reaps the children stopped)
try:
    os.waitpid(-1, os.WNOHANG)
    left = True
except ChildProcessError:
    left = False
print(json.dumps({
    "started": started, "left": left, "said": said, "own_said": own_said,
    "got": None if got is None else {p: stat(s) for p, s in got.items()},
    "own": {p: stat(s) for p, s in own.items()},
    "order": None if got is None else list(got) == list(own),
    "mark": listing and [listing.mark, listing.count] == [disk_mark(own, runs), len(own)],
    "runs": listing and listing.runs() == runs and len(runs),
    "part": listing and {p: stat(s) for p, s in listing.found(part).items()}
        == {p: stat(s) for _, a, b in part for p, s in items[a:b]} and len(part),
    "part_alone": first_part and [
        first_part[0] == {p: stat(s) for _, a, b in part for p, s in items[a:b]}, first_part[1]
    ],
}))
"""


def _probe(
    args: list[str], dirs: list[str], env: dict[str, str], kill: bool = False, mode: str = ""
) -> dict:  # type: ignore[type-arg]
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps([args, dirs, kill, mode])],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    result: dict = json.loads(done.stdout)  # type: ignore[type-arg]
    return result


def _data(tmp_path: Path) -> Path:
    config = tmp_path / "claude"
    for i in range(30):
        f = write_jsonl(config / "projects" / f"p{i % 3}" / f"s{i}.jsonl", [assistant(f"m{i}", i)])
        os.utime(f, (1000 + i, 1000 + i))
    os.mkfifo(config / "projects" / "p0" / "fifo.jsonl")  # a warning, never opened
    (config / "projects" / "p1" / "caf\udce9.jsonl").write_bytes(b"{}\n")  # not UTF-8
    return config


def _env(tmp_path: Path, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CLAUDE_CONFIG_DIR"}
    return {**env, "HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "xdg"), **more}


def test_the_childs_listing_is_the_scans_own(tmp_path: Path) -> None:
    config = _data(tmp_path)
    result = _probe(["status", "--data-dir", str(config)], [str(config)], _env(tmp_path))
    assert result["started"] and not result["left"]  # reaped
    assert result["got"] == result["own"] and result["order"] and result["mark"]
    assert result["runs"] == 3 and result["part"] == 1  # p0, p1, p2 each a run
    assert len(result["own"]) == 31
    assert result["said"] == result["own_said"] and "fifo.jsonl" in result["said"][0]


@pytest.mark.parametrize(
    ("args", "dirs"),
    [
        (["daily"], ["elsewhere"]),  # roots from the config file: other folders than guessed
        (["status", "--data-dir", "a"], ["a", "b"]),
    ],
)
def test_other_roots_than_the_childs_list_anew(
    tmp_path: Path, args: list[str], dirs: list[str]
) -> None:
    config = _data(tmp_path)
    (tmp_path / "other" / "projects").mkdir(parents=True)
    named = {"a": str(config), "b": str(tmp_path / "other"), "elsewhere": str(tmp_path / "other")}
    args = [named.get(a, a) for a in args]
    result = _probe(args, [named[d] for d in dirs], _env(tmp_path, CLAUDE_CONFIG_DIR=str(config)))
    assert result["started"] and not result["left"]
    assert result["got"] is None and result["said"] == []


@pytest.mark.parametrize("warned", [False, True])
@pytest.mark.parametrize("mode", ["close", "part first", "no second part"])
def test_the_second_part_is_read_only_when_needed_and_the_child_is_always_reaped(
    tmp_path: Path, mode: str, warned: bool
) -> None:
    config = _data(tmp_path)
    if not warned:
        (config / "projects" / "p0" / "fifo.jsonl").unlink()  # no warning: p1 listed here
    env = _env(tmp_path)
    result = _probe(["status", "--data-dir", str(config)], [str(config)], env, mode=mode)
    assert result["started"] and not result["left"]  # reaped, also when stopped unread
    assert result["mark"] and result["runs"] == 3  # the first part is whole in every case
    assert result["said"] == result["own_said"]  # each warning once, also when listed here
    assert len(result["said"]) == warned
    if mode == "part first":
        # One folder's files, the same as the child's: listed here, the child not waited
        # for; but not after a warning (this listing would say it again): its second part.
        assert result["part_alone"] == [True, not warned]
    if mode == "no second part":
        # The child died after its first part: every folder is listed here instead.
        assert result["got"] == result["own"] and result["part"] == 1
    if mode == "close":
        assert result["got"] is None  # a start with nothing new: the files never read


def test_list_folder_lists_a_folder_of_a_listing_as_the_listing_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tray_app.adapters.listing import list_folder, list_transcripts

    for name in ("a.jsonl", "b.jsonl", "sub/c.jsonl", "sub/deeper/d.jsonl", "sub/x.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}\n")
    monkeypatch.chdir(tmp_path)
    for top in (".", str(tmp_path), str(tmp_path) + "/"):
        runs: list[tuple[str, int, int]] = []
        whole = list(list_transcripts([top], [], runs).items())
        assert len(runs) == 3
        for prefix, first, end in runs:
            said: list[str] = []
            alone = list_folder(prefix, said)
            assert said == [] and list(alone) == [p for p, _ in whole[first:end]]
            assert [s.st_ino for s in alone.values()] == [s.st_ino for _, s in whole[first:end]]
    assert set(list_folder("", [])) == {"a.jsonl", "b.jsonl"}  # a root of ".": not "./a.jsonl"
    said = []
    assert list_folder(str(tmp_path / "gone") + "/", said) == {} and "cannot list" in said[0]


def test_both_parts_cross_the_pipe_whole_however_they_are_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import random
    import threading

    for i in range(700):  # a second part of ~100 KB: more than a pipe holds at once
        folder = tmp_path / "projects" / f"project-{i % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{i:04d}-{'x' * 80}.jsonl").write_text("{}\n")
    args = ["status", "--data-dir", str(tmp_path)]
    found, runs, first = early_listing._listing(args)
    rest = early_listing._rest(found, runs)
    assert len(rest) > 1 << 16
    roots = find_roots([str(tmp_path)], {})
    stopped: list[int] = []
    rng = random.Random(7)
    for trial in range(20):
        read_end, write_end = os.pipe()
        data = first + rest

        def send(data: bytes = data, write_end: int = write_end) -> None:
            at = 0
            while at < len(data):
                step = rng.choice((1, 7, 4096, 70_000))
                at += os.write(write_end, data[at : at + step])
            os.close(write_end)

        sender = threading.Thread(target=send)
        sender.start()
        head, more = early_listing._receive(read_end)
        assert head == first
        listing = listing_parts.parse_first(
            head, roots, [], (trial, read_end), more, stopped.append
        )
        assert listing is not None and listing.runs() == runs
        got = listing.found()  # the second part, not a listing made here
        sender.join()
        assert listing._rest is not None and stopped[-1] == trial
        assert {p: s.st_ino for p, s in got.items()} == {p: s.st_ino for p, s in found.items()}
        assert list(got) == list(found)


def test_a_child_that_dies_is_not_used_and_is_reaped(tmp_path: Path) -> None:
    config = _data(tmp_path)
    result = _probe(["status", "--data-dir", str(config)], [str(config)], _env(tmp_path), True)
    assert result["started"] and not result["left"] and result["got"] is None


def test_only_reports_start_a_child(tmp_path: Path) -> None:
    config = _data(tmp_path)
    for args in (["doctor"], ["roots"], ["--version"], ["statusline"], []):
        assert not _probe(args, [str(config)], _env(tmp_path))["started"]


@pytest.mark.parametrize("layout", ["config dir", "projects dir", "bare dir", "two", "defaults"])
def test_the_guess_is_what_find_roots_settles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # (both read it from os.environ)
    config = _data(tmp_path)
    bare = tmp_path / "bare"
    bare.mkdir()
    (tmp_path / "home" / ".claude" / "projects").mkdir(parents=True)
    (tmp_path / "xdg" / "claude").mkdir(parents=True)  # no projects/ yet: itself
    link = tmp_path / "link"
    link.symlink_to(config)  # the same root twice: listed once
    named = {
        "config dir": [str(config)],
        "projects dir": [str(config / "projects")],
        "bare dir": [str(bare)],
        "two": [str(config), str(link), str(tmp_path / "missing"), str(bare)],
        "defaults": [],
    }[layout]
    env = _env(tmp_path)
    args = [a for d in named for a in ("--data-dir", d)]
    roots = find_roots(named, env)
    assert early_listing.guess_dirs(["status", *args], env) == [str(d) for d in roots.dirs]
    if named:  # the same folders named by CLAUDE_CONFIG_DIR
        by_env = {**env, "CLAUDE_CONFIG_DIR": ",".join(named)}
        assert early_listing.guess_dirs(["status"], by_env) == [str(d) for d in roots.dirs]


def test_a_report_through_the_launcher_says_each_warning_once(tmp_path: Path) -> None:
    config = _data(tmp_path)
    env = {**_env(tmp_path), "TOKEN_MONITOR_DB": str(tmp_path / "l" / "ledger.db"),
           "TOKEN_MONITOR_CONFIG": str(tmp_path / "none.yaml")}  # fmt: skip
    command = [sys.executable, "-m", "tray_app", "daily", "--json", "--data-dir", str(config)]
    runs = []
    for _ in range(2):
        runs.append(subprocess.run(command, env=env, capture_output=True, text=True, check=True))
    for run in runs:
        assert run.stderr.count("fifo.jsonl") == 1, run.stderr
    first, second = (json.loads(r.stdout) for r in runs)
    assert first == second and first["totals"]["output_tokens"] == sum(range(30))


def test_options_before_the_command_are_skipped_with_their_values() -> None:
    from tray_app.cli import options

    valued = {
        flag
        for flags, keywords, _ in options.SPECS.values()
        if keywords.get("action") not in ("store_true", "store_false", "store_const", "count")
        for flag in flags
    }
    assert valued == early_listing.VALUED
    assert early_listing.command_of(["--data-dir", "x", "-z", "UTC", "--json", "daily"]) == "daily"
    assert early_listing.command_of(["--since=2026-01-01", "status"]) == "status"
    assert early_listing.command_of(["-j"]) is None


def test_modules_are_imported_while_a_late_listing_is_awaited_and_only_then(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading

    monkeypatch.delitem(sys.modules, "colorsys", raising=False)
    monkeypatch.setattr(early_listing, "warmed", [])
    monkeypatch.setattr(early_listing, "_warm", [])
    early_listing.warm(["colorsys"])
    assert early_listing._warm == []  # no child listing: nothing to wait for, nothing kept
    monkeypatch.setattr(early_listing, "_child", (0, -1))  # (as if one were listing)
    read_end, write_end = os.pipe()
    early_listing.warm(["no_such_module_here", "colorsys", "json"])

    def child() -> None:
        while "colorsys" not in sys.modules:  # the listing comes after the first imports
            time.sleep(0.01)
        os.write(write_end, b"the listing")
        os.close(write_end)

    helper = threading.Thread(target=child)
    helper.start()
    got = early_listing._first_bytes(read_end)
    helper.join()
    os.close(read_end)
    assert got == b"the listing"
    assert early_listing.warmed[:1] == ["colorsys"]  # a module that fails is passed over
    assert early_listing._warm == []  # nothing left for later
    # A listing that is there already: nothing is imported.
    read_end, write_end = os.pipe()
    os.write(write_end, b"at once")
    os.close(write_end)
    early_listing.warm(["colorsys"])
    early_listing.warmed.clear()
    assert early_listing._first_bytes(read_end) == b"at once" and early_listing.warmed == []
    os.close(read_end)


# A report through the launcher, with the command's own listing of a folder failing once
# (as EMFILE or a flaky network folder would): prints the totals and what is left running.
REPORT = """
import json, os, sys
from tray_app.adapters import listing
from tray_app.adapters import early_listing as el
if sys.argv[1] == "fail, no second part":
    el._rest = lambda found, runs: os._exit(3)  # the child dies after its first part
parent = os.getpid()
if sys.argv[1].startswith("fail"):
    def failing(prefix, warnings):
        warnings.append(f"cannot list {prefix}: Too many open files")
        return {}
    listing.list_folder = failing
    every = listing.list_transcripts
    def failing_here(dirs, warnings, runs=None):  # (the child lists as ever)
        return every(dirs, warnings, runs) if os.getpid() != parent else failing(dirs, warnings)
    listing.list_transcripts = failing_here
from tray_app.adapters.listing_parts import Listing
relisted = []
real = Listing._relist
Listing._relist = lambda self, *a, **k: relisted.append(1) or real(self, *a, **k)
from tray_app import launcher
launcher.main(sys.argv[2:])
try:
    os.waitpid(-1, os.WNOHANG)
    left = True
except ChildProcessError:
    left = False
print(json.dumps({"left": left, "relisted": len(relisted)}), file=sys.stderr)
"""


def test_a_folder_the_command_fails_to_list_is_compared_again_next_time(tmp_path: Path) -> None:
    config = tmp_path / "claude"
    for i in range(6):
        write_jsonl(config / "projects" / f"p{i % 2}" / f"s{i}.jsonl", [assistant(f"m{i}", 10)])
    env = {**_env(tmp_path), "TOKEN_MONITOR_DB": str(tmp_path / "l" / "ledger.db"),
           "TOKEN_MONITOR_CONFIG": str(tmp_path / "none.yaml")}  # fmt: skip

    def report(how: str) -> tuple[int, dict]:  # type: ignore[type-arg]
        args = ["daily", "--json", "--data-dir", str(config)]
        done = subprocess.run(
            [sys.executable, "-c", REPORT, how, *args],
            env=env, capture_output=True, text=True, check=True, timeout=60,
        )  # fmt: skip
        probe = json.loads(done.stderr.strip().splitlines()[-1])
        return json.loads(done.stdout)["totals"]["output_tokens"], probe

    assert report("plain") == (60, {"left": False, "relisted": 0})  # a first scan: all read
    for i, total in ((1, 160), (2, 260)):
        with (config / "projects" / "p1" / "s1.jsonl").open("a") as f:
            f.write(json.dumps(assistant(f"m-new{i}", 100)) + "\n")
        if i == 1:
            # One folder changed: listed by the command, which fails: the child's second
            # part instead (the listing its fingerprint describes).
            assert report("fail") == (total, {"left": False, "relisted": 1})
        else:
            # ... and without the second part the folder's files are missing: not read yet.
            assert report("fail, no second part") == (160, {"left": False, "relisted": 2})
            # The child's fingerprint (it counts the line) was not kept: compared and read.
            assert report("plain") == (total, {"left": False, "relisted": 1})
        assert report("plain") == (total, {"left": False, "relisted": 0})  # then nothing new


def test_a_first_scan_that_could_not_list_its_folders_is_not_marked_as_done(
    tmp_path: Path,
) -> None:
    config = tmp_path / "claude"
    for i in range(4):
        write_jsonl(config / "projects" / f"p{i % 2}" / f"s{i}.jsonl", [assistant(f"m{i}", 10)])
    env = {**_env(tmp_path), "TOKEN_MONITOR_DB": str(tmp_path / "l" / "ledger.db"),
           "TOKEN_MONITOR_CONFIG": str(tmp_path / "none.yaml")}  # fmt: skip
    args = ["daily", "--json", "--data-dir", str(config)]
    runs = []
    for how in ("fail, no second part", "plain"):
        done = subprocess.run(
            [sys.executable, "-c", REPORT, how, *args],
            env=env, capture_output=True, text=True, check=True, timeout=60,
        )  # fmt: skip
        runs.append(json.loads(done.stdout)["totals"]["output_tokens"])
    # Every folder compared (nothing stored yet), the child gone before its files, and no
    # folder listed: nothing read, and the fingerprint not kept, so the next start reads.
    assert runs == [0, 40]
