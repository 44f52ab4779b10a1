"""docs/cli.md lists every command and every shared option the parser has."""

from __future__ import annotations

import argparse
from pathlib import Path

from tray_app.cli.main import build_parser
from tray_app.cli.options import SPECS

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_every_command_and_option_is_documented() -> None:
    text = DOC.read_text()
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    missing = [name for name in sub.choices if f"| `{name}" not in text]
    assert missing == []
    flags = [
        flags[-1] for name, (flags, kw, _) in SPECS.items() if kw.get("help") != "==SUPPRESS=="
    ]
    assert [f for f in flags if f"`{f}" not in text] == []
