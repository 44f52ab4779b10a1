"""`models` names an unpriced model once, from its per-model sums, inside the window only."""

from __future__ import annotations

from pathlib import Path

from tests.builders import assistant, write_jsonl
from tests.cli.cli_run import run

WARNING = "no price for model 'claude-mystery-9'"


def test_models_warns_about_an_unpriced_model_in_the_window_only(tmp_path: Path) -> None:
    data = tmp_path / "claude"
    write_jsonl(
        data / "projects" / "p" / "s.jsonl",
        [assistant("m1", 5), assistant("m2", 7, minutes=3 * 24 * 60, model="claude-mystery-9")],
    )
    line = ["models", "--json", "--data-dir", str(data)]
    for _ in range(2):  # a first run and a restart (the rollup then answers)
        code, out, err = run(line, tmp_path)
        assert code == 0 and err.count(WARNING) == 1 and "claude-mystery-9" in out
    code, out, err = run([*line, "--until", "2026-02-11"], tmp_path)  # before its day
    assert code == 0 and WARNING not in err and "claude-mystery-9" not in out
    code, _, err = run([*line, "--no-cost"], tmp_path)
    assert code == 0 and WARNING not in err
    # With --project the warning still covers the whole window (every project).
    code, _, err = run([*line, "--project", "proj"], tmp_path)
    assert code == 0 and err.count(WARNING) == 1
