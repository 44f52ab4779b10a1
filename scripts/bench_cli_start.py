"""CLI start-up: medians of `--version`, `status` and `daily`, this checkout vs a baseline rev.

Usage: ``python -m scripts.bench_cli_start [--runs 15] [--baseline REV] [--data DIR]``

Each command runs as a fresh process (``python -c 'from tray_app.launcher import main'``)
with the same interpreter, a private warmed-up ledger (``TOKEN_MONITOR_DB``) per checkout,
no config file and ``--data-dir DIR`` (default: the real fixtures). The baseline is a
``git worktree`` of REV in a temporary dir (default: the commit before issue 13's CLI work),
so both sides see the same machine load; runs alternate between the two. Prints medians
and the difference in milliseconds. Not a test: figures for the README.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BASELINE = "52978cf"  # main before the issue-13 CLI changes (rich tables, options)
FIXTURES = REPO.parent / "shared" / "fixtures" / "claude-code-real"
COMMANDS = {
    "--version": ["--version"],
    "status --json": ["status", "--json"],
    "status": ["status"],
    "daily (table)": ["daily"],
}


def _run(tree: Path, args: list[str], env: dict[str, str]) -> float:
    """Seconds from spawn to exit of one CLI process."""
    code = "import sys; from tray_app.launcher import main; sys.exit(main(sys.argv[1:]))"
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=tree,
        env={**env, "PYTHONPATH": str(tree)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return time.perf_counter() - start


def main() -> int:
    """Measure and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--baseline", default=BASELINE)
    parser.add_argument("--data", type=Path, default=FIXTURES)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        base = Path(tmp) / "baseline"
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(base), opts.baseline],
            check=True,
        )
        try:
            trees = {"baseline": base, "current": REPO}
            envs = {
                name: {
                    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "HOME": tmp,
                    "COLUMNS": "80",
                    "TOKEN_MONITOR_DB": str(Path(tmp) / f"{name}.db"),
                    "TOKEN_MONITOR_CONFIG": str(Path(tmp) / "none.yaml"),
                }
                for name in trees
            }
            data = ["--data-dir", str(opts.data)]
            times: dict[tuple[str, str], list[float]] = {}
            for name, tree in trees.items():  # fill each ledger once
                _run(tree, ["status", *data], envs[name])
            for _ in range(opts.runs):
                for label, args in COMMANDS.items():
                    extra = [] if args == ["--version"] else data
                    for name, tree in trees.items():
                        spent = _run(tree, [*args, *extra], envs[name])
                        times.setdefault((label, name), []).append(spent)
            print(f"median of {opts.runs} runs, baseline {opts.baseline}, data {opts.data}")
            print(f"{'command':<16} {'baseline':>10} {'current':>10} {'diff':>9}")
            for label in COMMANDS:
                b = statistics.median(times[(label, "baseline")]) * 1000
                c = statistics.median(times[(label, "current")]) * 1000
                print(f"{label:<16} {b:>8.0f}ms {c:>8.0f}ms {c - b:>+7.0f}ms")
        finally:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(base)], check=False
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
