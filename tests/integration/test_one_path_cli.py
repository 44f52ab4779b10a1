"""The one data path against the truth: every report after every run of a user's tree.

Transcripts are written to disk over several runs in random chunk orders (lines cut in two
and finished later, late older lines, a resumed session's bigger copy, subagent and
progress copies, limit lines, bad lines, files rotated or copied between runs). Every report
is a fresh CLI run on the one ledger (a restart; the later ones of a run read nothing new:
replays) and must equal `--no-ledger` over a tree holding only the truth's one canonical
line per response, and the truth's own totals.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scripts import gen_data
from tests.builders import T0
from tests.integration.one_path_runs import (
    REPORTS,
    WINDOWED,
    Live,
    block_view,
    chunks,
    cli,
    cli_blocks,
    clock,
    pinned_now,
    runs,
    stories,
    window,
)
from tests.integration.transcript_story import (
    Notice,
    Response,
)


@pytest.mark.slow  # ~10 s: every report twice per run
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stories(), st.one_of(st.integers(0, 600), st.integers(0, 60 * 24 * 10)), st.data())
def test_every_report_after_every_run_equals_a_count_of_the_truth(
    story: tuple[list[Response], list[Notice]], after: int, data: st.DataObject
) -> None:
    # Each report is a fresh CLI run (a restart) on the one ledger; the first of a run
    # counts what is new, the others read nothing new (replays) and answer from the
    # ledger's aggregates. `--no-ledger` over the truth's canonical lines is the reference.
    now = pinned_now(story, after)
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        db = tmp / "db" / "l.db"
        db.parent.mkdir()
        moving = data.draw(st.booleans())  # the clock moves between runs, or is pinned
        now = T0.timestamp() if moving else now
        reports = [*REPORTS, *((*r, *window(data)) for r in WINDOWED)]
        for tree, truth in runs(tmp, story, data):
            now = clock(tree, now, data) if moving else now
            for report in data.draw(st.permutations(reports)):
                want = cli(tmp / "t.db", truth, now, [*report, "--no-ledger"])
                assert cli(db, tree.root, now, report) == want, report
            if not tree.rotated:  # every line is still on disk: counting in memory agrees
                report = data.draw(st.sampled_from(reports))
                want = cli(tmp / "t.db", truth, now, [*report, "--no-ledger"])
                assert cli(tmp / "t.db", tree.root, now, [*report, "--no-ledger"]) == want
            # The truth's own totals, counted from the lines (no code of the app).
            days = cli(db, tree.root, now, ["export", "--period", "daily"])["daily"]
            got = {k: sum(d[k] for d in days if d["model"] == "") for k in tree.totals()}
            assert got == tree.totals()


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stories(), st.data())
def test_two_data_roots_on_one_ledger_answer_for_the_roots_asked(
    story: tuple[list[Response], list[Notice]], data: st.DataObject
) -> None:
    # ~/.claude and ~/.config/claude: sessions 0 and 1 write under one root, session 2
    # under the other; each report asks for both roots or one of them, on the one ledger
    # that holds both (no limit lines: which root a notice belongs to is not the point).
    story = (story[0], [])
    now = pinned_now(story, 60)
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        db = tmp / "db" / "l.db"
        roots = {"a": tmp / "a" / "projects", "b": tmp / "b" / "projects"}
        for d in (db.parent, *roots.values()):
            d.mkdir(parents=True)
        home = {0: "a", 1: "a", 2: "b"}
        n = 0
        for tree, _ in runs(tmp, story, data, lambda s: roots[home[s]]):
            for report in data.draw(st.permutations(REPORTS[:4])):
                asked = data.draw(st.sampled_from(["ab", "a", "b"]))
                n += 1
                truth = tree.write_truth(tmp / f"truth-{n}", {s for s in home if home[s] in asked})
                want = cli(tmp / "t.db", truth, now, [*report, "--no-ledger"])
                assert cli(db, [roots[x] for x in asked], now, report) == want, (report, asked)
            # Before a run may rotate a file (its complete lines then live on in the ledger
            # only), something reads every root, as the tray does: reports that asked for
            # one root never read the other's new lines, and the truth counts them.
            truth = tree.write_truth(tmp / f"truth-{n}-all", set(home))
            want = cli(tmp / "t.db", truth, now, ["status", "--no-ledger"])
            assert cli(db, list(roots.values()), now, ["status"]) == want


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, gen_data.Expected]:
    """A small generated data dir (every layout, resumed copies, limit notices) and the
    totals the generator says it counts to."""
    out = tmp_path_factory.mktemp("gen")
    return out / "projects", gen_data.generate(out, size_mb=0.5, seed=3)


@pytest.mark.slow  # ~8 s
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.integers(0, 600), st.data())
def test_the_generators_tree_written_over_runs_counts_to_its_expected_totals(
    generated: tuple[Path, gen_data.Expected], after: int, data: st.DataObject
) -> None:
    # The generator's files copied into a fresh tree chunk by chunk over several runs, the
    # live engine and a CLI run after each; every report equals `--no-ledger` over the
    # same files, and the last run gives the generator's own totals per model.
    source, expected = generated
    now = gen_data.parse_ts(gen_data.DEFAULT_END) + after * 60
    sources = sorted(source.rglob("*.jsonl"))
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        root, db = tmp / "projects", tmp / "db" / "l.db"
        db.parent.mkdir()
        queues = {p: chunks(data, p.read_bytes()) for p in sources}
        order = data.draw(st.permutations([p for p, q in queues.items() for _ in q]))
        stops = sorted(set(data.draw(st.lists(st.integers(1, len(order)), max_size=3))))
        live = Live(root, db, now)
        start = 0
        try:
            for stop in [*stops, len(order)]:
                for p in order[start:stop]:
                    target = root / p.relative_to(source)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with open(target, "ab") as handle:
                        handle.write(queues[p].pop(0))
                start = stop
                live.scan()
                live.engine.flush()
                for report in data.draw(st.permutations(REPORTS)):
                    want = cli(tmp / "t.db", root, now, [*report, "--no-ledger"])
                    assert cli(db, root, now, report) == want, report
                blocks = cli(db, root, now, ["blocks"])
                assert block_view(live.state.blocks) == cli_blocks(blocks)
        finally:
            live.stop()
        status = cli(db, root, now, ["status"])
        models = cli(db, root, now, ["models"])
    assert {k: status["totals"][k] for k in expected.totals()} == expected.totals()
    by_model = {m["model"]: {k: m[k] for k in expected.totals()} for m in models["models"]}
    assert by_model == expected.by_model
