"""Reports answer from the ledger's aggregates and narrow reads (models, export, session,
limits, model recommend, status with a window): the JSON is byte for byte what counting
every response in memory (--no-ledger) prints."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.builders import REAL_FIXTURES, assistant, write_jsonl
from tests.cli.cli_run import run

NOW = ["--now", "2026-03-01T00:00:00+00:00"]
COMMANDS = [
    ["models"],
    ["models", "--since", "2026-02-10", "--until", "2026-02-11"],
    ["models", *NOW],
    ["export"],
    ["export", "--since", "2026-02-09T10:07:00", "--until", "2026-02-12"],
    ["export", "--period", "daily"],
    ["export", "--period", "weekly", "--timezone", "Asia/Kathmandu"],
    ["export", "--period", "monthly", "--timezone", "America/St_Johns"],
    ["limits", *NOW],
    ["status", "--since", "2026-02-10T04:07:00", "--until", "2026-02-12", *NOW],
    ["model", "recommend", "--days", "30", "--now", "2026-02-28T00:00:00+00:00"],
]


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not REAL_FIXTURES.is_dir():
        pytest.skip("the shared real transcripts are not here")
    dest = tmp_path_factory.mktemp("real") / "claude"
    shutil.copytree(REAL_FIXTURES, dest)
    return dest


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_ledger_json_equals_counting_in_memory(args: list[str], real: Path, tmp_path: Path) -> None:
    extra = ["--data-dir", str(real), "--json"]
    for _ in range(2):  # the first run fills the ledger, the second answers from it
        code, from_ledger, err = run([*args, *extra], tmp_path)
        assert code == 0, err
    code, in_memory, err = run([*args, *extra, "--no-ledger"], tmp_path)
    assert code == 0, err
    assert from_ledger == in_memory
    assert len(from_ledger) > 200


def test_session_show_reads_the_session_only_and_equals_memory(real: Path, tmp_path: Path) -> None:
    code, out, _ = run(["sessions", "--json", "--data-dir", str(real)], tmp_path)
    assert code == 0
    sid = out.split('"session_id": "')[1].split('"')[0]
    args = ["session", sid[:8], "--json", "--data-dir", str(real)]
    code, from_ledger, err = run(args, tmp_path)
    assert code == 0, err
    assert run([*args, "--no-ledger"], tmp_path)[1] == from_ledger
    assert f'"session_id": "{sid}"' in from_ledger


def test_export_says_true_and_false_for_sidechain_from_the_ledger(tmp_path: Path) -> None:
    # The ledger stores 0/1: export printed 0/1 instead of JSON booleans.
    data = tmp_path / "claude"
    write_jsonl(
        data / "projects" / "p" / "s.jsonl",
        [assistant("m1", 5), assistant("m2", 7, minutes=1, sidechain=True)],
    )
    code, out, err = run(["export", "--json", "--data-dir", str(data)], tmp_path)
    assert code == 0, err
    assert out.count('"sidechain": false') == 1 and out.count('"sidechain": true') == 1


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_streams_in_batches_with_the_same_bytes(
    fmt: str, real: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tray_app.cli import manage_cmd

    monkeypatch.setattr(manage_cmd, "EXPORT_BATCH", 7)  # many batch boundaries
    args = ["export", "--format", fmt, "--data-dir", str(real)]
    code, streamed, err = run(args, tmp_path)
    assert code == 0, err
    monkeypatch.setattr(manage_cmd, "EXPORT_BATCH", 10**9)  # one batch: one dump
    assert run([*args, "--no-ledger"], tmp_path)[1] == streamed
    assert streamed.count("claude-") > 100


def test_export_of_nothing(tmp_path: Path) -> None:
    data = tmp_path / "claude"
    (data / "projects").mkdir(parents=True)
    code, out, err = run(["export", "--json", "--data-dir", str(data)], tmp_path)
    assert code == 0, err
    assert out.startswith('{\n  "responses": [],\n  "totals": {\n    "input_tokens": 0,')


def test_blocks_names_an_unpriced_model_from_the_cached_blocks(tmp_path: Path) -> None:
    data = tmp_path / "claude"
    write_jsonl(
        data / "projects" / "p" / "s.jsonl",
        [assistant("m1", 5), assistant("m2", 7, minutes=600, model="claude-mystery-9")],
    )
    for _ in range(2):  # the second run answers from the block cache
        code, _, err = run(["blocks", "--json", "--data-dir", str(data)], tmp_path)
        assert code == 0
        assert err.count("no price for model 'claude-mystery-9'") == 1
