"""A report's session names: the named sessions only, made once per run (asked per row)."""

from __future__ import annotations

import io
from pathlib import Path

from tests.builders import assistant, write_jsonl
from tray_app.cli.dataset import load
from tray_app.cli.environment import Environment
from tray_app.cli.main import build_parser, main, prepare


def test_names_are_the_named_sessions_and_built_once(tmp_path: Path) -> None:
    data = tmp_path / "claude"
    lines = [assistant("m1", 5, session="s-one"), assistant("m2", 7, session="s-two")]
    write_jsonl(data / "projects" / "p" / "s.jsonl", list(lines))
    env = Environment(
        stdout=io.StringIO(),
        stderr=io.StringIO(),
        env={"TOKEN_MONITOR_DB": str(tmp_path / "l.db"), "HOME": str(tmp_path),
             "TOKEN_MONITOR_CONFIG": str(tmp_path / "none.yaml")},
    )  # fmt: skip
    assert main(["name", "s-two", "Second", "--data-dir", str(data)], env) == 0
    line = ["sessions", "--data-dir", str(data)]
    args = build_parser(line).parse_args(line)
    prepare(args, env)
    loaded = load(args, env)
    assert set(loaded.sessions) == {"s-one", "s-two"}
    assert loaded.names == {"s-two": "Second"}
    assert loaded.names is loaded.names  # (one dict for the run, not one per row)
