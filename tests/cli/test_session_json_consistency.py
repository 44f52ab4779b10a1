"""`session ID --json` and `sessions --json` describe a session with the same object."""

from __future__ import annotations

from pathlib import Path

from tests.cli.cli_run import HAIKU, OPUS, run, run_json, two_projects


def test_one_session_object_in_both_commands(tmp_path: Path) -> None:
    data = two_projects(tmp_path)
    code, _, err = run(["name", "a1", "Refactor the parser", "--data-dir", str(data)], tmp_path)
    assert code == 0, err
    listed = {s["session_id"]: s for s in run_json(["sessions"], tmp_path, data)["sessions"]}
    assert set(listed) == {"a1", "b1"}
    for sid, row in listed.items():
        one = run_json(["session", sid], tmp_path, data)["session"]
        assert row.pop("project") in ("alpha", "beta")  # `sessions` adds the project's name
        assert one == row
        assert list(one) == list(row)  # same keys in the same order
    # b1 used opus most: both list it first (`session` listed models by name before).
    assert listed["b1"]["models"] == [OPUS, HAIKU]
