"""`watch` refuses a ledger path it must not use, as every report does (exit 5)."""

from __future__ import annotations

import io
from pathlib import Path

from tests.builders import assistant, write_jsonl
from tray_app.cli.environment import Environment, ExitStatus
from tray_app.cli.main import main


def test_watch_exits_5_when_the_ledger_path_is_a_folder(tmp_path: Path) -> None:
    """Before, watch kept running on an in-memory count and the folder was never reported."""
    write_jsonl(tmp_path / "claude" / "projects" / "p" / "s.jsonl", [assistant("m1", 10)])
    folder = tmp_path / "not-a-ledger"
    folder.mkdir(mode=0o755)
    (folder / "keep.txt").write_text("mine")
    out, err = io.StringIO(), io.StringIO()
    env = {
        "TOKEN_MONITOR_DB": str(folder),
        "TOKEN_MONITOR_CONFIG": str(tmp_path / "none.yaml"),
        "HOME": str(tmp_path / "home"),
    }
    argv = ["watch", "--json", "--data-dir", str(tmp_path / "claude")]
    code = main(argv, Environment(out, err, env))
    assert code == ExitStatus.LEDGER
    assert out.getvalue() == ""
    assert err.getvalue().startswith("token-monitor: error: ")
    assert str(folder) in err.getvalue()
    assert (folder / "keep.txt").read_text() == "mine"
    assert folder.stat().st_mode & 0o777 == 0o755
