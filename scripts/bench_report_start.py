"""Every report on restart with nothing new: this checkout vs a baseline rev, interleaved.

Usage: ``python -m scripts.bench_report_start [--data DIR] [--baseline REV] [--runs 15]``

Each report command (`status`, `blocks`, `sessions`, `daily`, `weekly`, `monthly`,
`models`, `limits`, `export --period daily`, all `--json`, and `status` as text) runs as a
fresh process through the launcher, alternating between a `git worktree` of REV and this
checkout, each with its own warmed-up private ledger and no config file, on DIR (default:
the real fixtures next to the repository). Both trees are
byte-compiled first (with PYTHONDONTWRITEBYTECODE a tree without .pyc files would compile
every module on every run). Prints the median and minimum of wall time and of user+sys CPU
per command. Not a test: figures for the README.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO.parent / "shared" / "fixtures" / "claude-code-real"
COMMANDS = [
    ["status", "--json"], ["blocks", "--json"], ["sessions", "--json"], ["daily", "--json"],
    ["weekly", "--json"], ["monthly", "--json"], ["models", "--json"], ["limits", "--json"],
    ["export", "--period", "daily", "--json"], ["status"],
]  # fmt: skip
CODE = "import sys; from tray_app.launcher import main; sys.exit(main(sys.argv[1:]))"


def _run(tree: Path, args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and user+sys CPU seconds of one CLI process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", CODE, *args], cwd=tree, env={**env, "PYTHONPATH": str(tree)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
    )  # fmt: skip
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def main() -> int:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=FIXTURES, help="a Claude data dir")
    parser.add_argument("--baseline", default="HEAD", help="git rev to compare with")
    parser.add_argument("--runs", type=int, default=15)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-report-start-") as tmp:
        base = Path(tmp) / "baseline"
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(base),
             opts.baseline], check=True,
        )  # fmt: skip
        try:
            trees = {"baseline": base, "current": REPO}
            envs = {
                name: {
                    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "HOME": tmp,
                    "TOKEN_MONITOR_DB": str(Path(tmp) / f"{name}.db"),
                    "TOKEN_MONITOR_CONFIG": str(Path(tmp) / "none.yaml"),
                }
                for name in trees
            }
            data = ["--data-dir", str(opts.data)]
            for name, tree in trees.items():
                subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "tray_app")])
                _run(tree, ["status", *data], envs[name])  # the first scan fills its ledger
            got: dict[tuple[str, str], list[tuple[float, float]]] = {}
            for i in range(opts.runs):
                for args in COMMANDS:
                    order = list(trees.items()) if i % 2 == 0 else list(trees.items())[::-1]
                    for name, tree in order:
                        spent = _run(tree, [*args, *data], envs[name])
                        got.setdefault((" ".join(args), name), []).append(spent)
            print(f"{opts.runs} runs each, baseline {opts.baseline}, data {opts.data}")
            print(f"{'command':<38} {'wall median/min (ms)':>20} {'CPU median/min (ms)':>22}")
            for args in COMMANDS:
                label = " ".join(args)
                for name in trees:
                    walls = [w * 1000 for w, _ in got[(label, name)]]
                    cpus = [c * 1000 for _, c in got[(label, name)]]
                    print(
                        f"{label if name == 'baseline' else '':<29} {name:<8} "
                        f"{statistics.median(walls):>11.1f} {min(walls):>8.1f}"
                        f"{statistics.median(cpus):>14.1f} {min(cpus):>8.1f}"
                    )
        finally:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(base)], check=False
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
