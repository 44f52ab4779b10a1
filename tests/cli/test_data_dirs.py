"""Named data dirs that are missing, files or unreadable: exit 3 with one line; doctor lists them.

"Unreadable" needs a user the kernel refuses: root reads a mode-000 dir anyway. As root the
command runs in a forked child that first drops to `nobody` (everything is imported
before the fork, since the interpreter's own files may be out of nobody's reach).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.builders import assistant, write_jsonl
from tray_app.cli.environment import Environment, ExitStatus
from tray_app.cli.main import main

NOBODY = 65534


def run(args: list[str], base: Path, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    environ = {
        "TOKEN_MONITOR_DB": str(base / "db" / "l.db"),
        "TOKEN_MONITOR_CONFIG": str(base / "none.yaml"),
        "HOME": str(base / "home"),
        **(env or {}),
    }
    code = main(args, Environment(out, err, environ))
    return code, out.getvalue(), err.getvalue()


def run_as_nobody(args: list[str], base: Path, env: dict[str, str]) -> tuple[int, str, str]:
    """`run` in a forked child that has dropped root (only called when running as root)."""
    run(args, base, env)  # as root (who can read anything): imports every module it needs
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        result: tuple[int, str, str] = (99, "", "child failed")
        try:
            os.close(read_fd)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            result = run(args, base, env)
        except BaseException as exc:
            result = (99, "", repr(exc))
        finally:
            os.write(write_fd, json.dumps(result).encode())
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        got = json.loads(pipe.read() or b'[98, "", "no answer"]')
    os.waitpid(pid, 0)
    return int(got[0]), got[1], got[2]


@pytest.fixture
def base() -> Iterator[Path]:
    """A temp dir `nobody` can enter (pytest's own tmp dir is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="tm-datadirs-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        for folder, dirs, _ in os.walk(path):
            for d in dirs:
                os.chmod(os.path.join(folder, d), 0o755)
        shutil.rmtree(path)


def test_missing_dir_and_file_instead_of_dir_exit_3_with_one_line(base: Path) -> None:
    (base / "afile").write_text("x")
    for args, env, said in [
        (["--data-dir", str(base / "nope")], {}, f"data dir not found: {base / 'nope'}"),
        (["--data-dir", str(base / "afile")], {}, f"data dir is not a directory: {base / 'afile'}"),
        ([], {"CLAUDE_CONFIG_DIR": str(base / "afile")}, "data dir is not a directory"),
    ]:
        code, out, err = run(["sessions", *args], base, env)
        assert code == ExitStatus.NO_DATA and out == ""
        assert err.startswith(f"token-monitor: error: {said}") and err.count("\n") == 1


def _unreadable_run(args: list[str], base: Path, env: dict[str, str]) -> tuple[int, str, str]:
    if os.geteuid() == 0:
        return run_as_nobody(args, base, env)
    return run(args, base, env)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
@pytest.mark.parametrize("via", ["--data-dir", "CLAUDE_CONFIG_DIR", "projects"])
def test_unreadable_dir_exits_3_instead_of_counting_zero(base: Path, via: str) -> None:
    data = base / "claude"
    write_jsonl(data / "projects" / "p" / "s.jsonl", [assistant("m1", 10)])
    (base / "db").mkdir(mode=0o777)
    (base / "db").chmod(0o777)
    locked = data / "projects" if via == "projects" else data
    for folder in (data, data / "projects", data / "projects" / "p"):
        folder.chmod(0o755)
    locked.chmod(0o000)
    args, env = ["sessions", "--no-ledger"], {}
    if via == "CLAUDE_CONFIG_DIR":
        env = {"CLAUDE_CONFIG_DIR": str(data)}
    else:
        args += ["--data-dir", str(data)]
    code, out, err = _unreadable_run(args, base, env)
    assert (code, out) == (ExitStatus.NO_DATA, ""), err
    assert err == f"token-monitor: error: data dir unreadable: {locked} (Permission denied)\n"
    code, out, err = _unreadable_run(["doctor", "--no-ledger", *args[2:]], base, env)
    assert code == ExitStatus.OK, err
    assert f"  data dir unreadable: {locked} (Permission denied)" in out.splitlines()


def test_doctor_lists_missing_dirs_instead_of_failing(base: Path) -> None:
    code, out, _ = run(["doctor", "--json", "--data-dir", str(base / "nope")], base)
    assert code == ExitStatus.OK
    got = json.loads(out)
    assert got["data_dir_problems"] == [f"data dir not found: {base / 'nope'}"]
    assert (got["files"], got["responses"]) == (0, 0)


def test_watch_exits_3_for_a_named_dir_it_cannot_read(base: Path) -> None:
    """Before, `watch` showed "no data" until Ctrl+C: a subprocess with a timeout."""
    (base / "afile").write_text("x")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(base / "home"),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "TOKEN_MONITOR_DB": str(base / "db" / "l.db"),
        "TOKEN_MONITOR_CONFIG": str(base / "none.yaml"),
    }
    for name in ("nope", "afile"):
        done = subprocess.run(
            [sys.executable, "-m", "tray_app", "watch", "--data-dir", str(base / name)],
            env=env, capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert (done.returncode, done.stdout) == (ExitStatus.NO_DATA, "")
        assert done.stderr.startswith("token-monitor: error: data dir ")
        assert done.stderr.count("\n") == 1
