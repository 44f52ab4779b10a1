"""The input fuzzer: mutated real lines through the parser and every CLI command, 0 crashes."""

from __future__ import annotations

from typing import Any

import pytest

from scripts import fuzz_input


@pytest.mark.slow
def test_mutated_lines_crash_nothing() -> None:
    # A reduced run (seconds); `python -m scripts.fuzz_input` runs the full 300,000 lines.
    report = fuzz_input.fuzz(lines=30_000, cli_lines=10_000, seed=7, cli_batch=5_000)
    assert report.crashes == []
    assert report.parsed_lines == 30_000 and report.cli_lines == 10_000
    assert report.cli_runs == 2 * 2 * 2 * len(fuzz_input.COMMANDS)  # batches × ledger × format
    # The mutations reach every outcome: undecodable, counted, and rejected as bad values.
    assert report.decoded < report.parsed_lines
    assert report.entries > 1_000 and report.rejected > 300


def test_a_parser_failure_is_reported_as_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(obj: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(fuzz_input, "extract", explode)
    report = fuzz_input.Report()
    fuzz_input.check_line(b'{"type":"assistant"}', report)
    fuzz_input.check_line(b"{not json", report)
    assert report.parsed_lines == 2 and report.decoded == 1
    assert len(report.crashes) == 1 and "boom" in report.crashes[0]


def test_mutations_change_lines_in_every_way() -> None:
    import random

    seeds = [b'{"type":"assistant","message":{"usage":{"input_tokens":5}},"n":12}']
    m = fuzz_input.Mutator(seeds, random.Random(3))
    out = {op.__name__: op(seeds[0]) for op in m.ops}
    assert all(v != seeds[0] for k, v in out.items() if k != "splice")
    assert b"\x00" in out["nul"] or b"\\u0000" in out["nul"]
    assert len(out["truncate"]) < len(seeds[0])
