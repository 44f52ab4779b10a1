"""What cleaning untrusted text costs: `clean()`, `json_safe()` and a CSV export (not a test).

Usage: ``python -m scripts.bench_text_safety [--rows 100000] [--repeat 7]``

Prints medians over ``--repeat`` runs:

1. `clean()` per string: plain ASCII (the fast path), non-ASCII plain text, hostile text;
2. `json_safe()` on an ``orjson`` dump of ``--rows`` export-like objects, all ASCII and
   with one hostile value per row;
3. the CSV writing of ``--rows`` export rows, with and without `csv_cell` on the
   string cells (what `token-monitor export` now does).
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import time
from collections.abc import Callable
from typing import Any

import orjson

from tray_app.usage.text_safety import clean, csv_cell, json_safe

PLAIN = "/home/user/code/webapp"
WIDE = "/home/jürgen/código/プロジェクト"
HOSTILE = "ok\x1b]0;pwned\x07\x1b[2J\rforged\nline\u202eevil\x9b31m!"


def median_seconds(run: Callable[[], object], repeat: int) -> float:
    """The median wall time of `run()` over `repeat` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def rows(n: int, hostile: bool) -> list[dict[str, Any]]:
    """Export-like rows; with `hostile`, each row's project path carries escapes."""
    path = HOSTILE if hostile else PLAIN
    return [
        {
            "timestamp": "2026-02-10T21:11:59.000Z",
            "session_id": f"aaaa1111-0000-4000-8000-{i:012d}",
            "project_path": path,
            "model": "claude-opus-4-6",
            "message_id": f"msg_{i}",
            "input_tokens": i,
            "output_tokens": 10,
            "cost_usd": 0.0123,
        }
        for i in range(n)
    ]


def write_csv(items: list[dict[str, Any]], safe: bool) -> int:
    """The export's CSV writing; returns the byte count (keeps the work from being skipped)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, list(items[0]), lineterminator="\n")
    writer.writeheader()
    if safe:
        writer.writerows(
            {k: csv_cell(v) if isinstance(v, str) else v for k, v in r.items()} for r in items
        )
    else:
        writer.writerows(items)
    return len(out.getvalue())


def main() -> None:
    """Run the measurements and print one line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    n, repeat = args.rows, args.repeat
    print(f"rows={n} repeat={repeat} (medians)")
    for label, text in (("plain ASCII", PLAIN), ("plain non-ASCII", WIDE), ("hostile", HOSTILE)):
        seconds = median_seconds(lambda t=text: [clean(t) for _ in range(n)], repeat)
        print(f"clean() {label:<16} {seconds / n * 1e9:8.0f} ns/string")
    for hostile in (False, True):
        dumped = orjson.dumps(rows(n, hostile)).decode()
        seconds = median_seconds(lambda d=dumped: json_safe(d), repeat)
        kind = "one hostile value/row" if hostile else "all ASCII"
        print(f"json_safe() {kind:<22} {seconds * 1e3:8.1f} ms for {len(dumped) / 1e6:.1f} MB")
    plain = rows(n, False)
    raw = median_seconds(lambda: write_csv(plain, False), repeat)
    safe = median_seconds(lambda: write_csv(plain, True), repeat)
    print(f"CSV {n} rows: {raw * 1e3:.0f} ms raw, {safe * 1e3:.0f} ms with csv_cell "
          f"(+{(safe / raw - 1) * 100:.0f} %)")  # fmt: skip


if __name__ == "__main__":
    main()
