"""scripts/test.sh installs only when pyproject.toml or the install scripts changed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _fake_checkout(tmp: Path) -> Path:
    (tmp / "scripts").mkdir()
    shutil.copy(REPO / "scripts" / "test.sh", tmp / "scripts" / "test.sh")
    (tmp / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp / "scripts" / "system-deps.sh").write_text("#!/bin/sh\n")
    # The real install.sh needs pip and a network; this one records that it ran.
    install = tmp / "scripts" / "install.sh"
    install.write_text('#!/usr/bin/env bash\necho "install $EXTRAS" >> installs.log\n')
    install.chmod(0o755)
    bin_dir = tmp / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for tool in ("python", "ruff", "mypy", "lint-imports", "pytest"):
        (bin_dir / tool).write_text("#!/bin/sh\nexit 0\n")
        (bin_dir / tool).chmod(0o755)
    return tmp


def _run(checkout: Path) -> str:
    done = subprocess.run(
        ["bash", "scripts/test.sh"], cwd=checkout, capture_output=True, text=True, check=True
    )
    return done.stderr


def test_reinstalls_only_when_pyproject_changes(tmp_path: Path) -> None:
    checkout = _fake_checkout(tmp_path)
    _run(checkout)
    assert "not reinstalling" in _run(checkout)
    assert (checkout / "installs.log").read_text() == "install dev\n"
    (checkout / "pyproject.toml").write_text("[project]\nname = 'x'\nversion = '2'\n")
    _run(checkout)
    assert (checkout / "installs.log").read_text() == "install dev\ninstall dev\n"
