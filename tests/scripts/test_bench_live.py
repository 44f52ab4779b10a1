"""scripts/bench_live.py: a tiny smoke run of its measuring functions (a few seconds)."""

from __future__ import annotations

from pathlib import Path

from scripts import bench_live as bench


def test_percentile_and_matching() -> None:
    """Nearest rank; each write matched to the first snapshot that counts it."""
    assert bench.percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert bench.percentile([1.0, 2.0], 99) == 2.0
    arrivals = [bench.Arrival(1.0, 10, 0), bench.Arrival(1.5, 11, 0), bench.Arrival(2.0, 13, 0)]
    sent = [(1.2, 11), (1.6, 12), (1.7, 13), (2.5, 14)]
    ms = bench.match_latencies(sent, arrivals)
    assert [round(x) for x in ms] == [300, 400, 300]  # the fourth was never seen


def test_smoke_run(tmp_path: Path) -> None:
    """Both start-ups, latency, idle CPU, a short soak and a clean SIGTERM on 3 MiB."""
    data = tmp_path / "data"
    exp, _ = bench.prepare(data, 3.0, 1)
    child, rows = bench.run_startups(data, tmp_path, exp.responses, 30.0)
    try:
        assert "never" not in " ".join(r[1] for r in rows)
        base = child.last
        app = bench.Appender(
            bench.gen_data.main_session_files(data)[-1], base.responses, base.output_tokens
        )
        lat = bench.measure_latency(child, app, 50.0, 0.4)
        assert lat.sent == 20 and lat.lost == 0 and all(0 < x < 5000 for x in lat.ms)
        pct, _ = bench.measure_idle_cpu(child, 0.3)
        assert 0 <= pct <= 200
        soak = bench.measure_soak(child, app, 0.6, 20.0, 0.2)
        assert len(soak.samples) >= 3 and all(m > 1 for _, m in soak.samples)
        final = child.wait_for(lambda a: a.responses >= app.target_responses, 5.0)
        assert final is not None and final.output_tokens == app.target_output
        app.close()
    finally:
        rc, dt = child.stop()
    assert rc == 0 and dt < 10
