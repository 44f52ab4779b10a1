"""`blocks` (and the other reports) from the ledger's caches equal a count from scratch."""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import T0, assistant, write_jsonl
from tray_app.cli.environment import Environment
from tray_app.cli.main import main

MODELS = ("claude-opus-4-6", "claude-sonnet-4-5", "claude-mystery-9")


def run(tmp: Path, data: Path, now: float, *args: str) -> Any:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(out, err, {"TOKEN_MONITOR_DB": str(tmp / "l.db"),
                                 "TOKEN_MONITOR_CONFIG": str(tmp / "none.yaml")}, now)  # fmt: skip
    assert main([*args, "--json", "--data-dir", str(data)], env) == 0, err.getvalue()
    return json.loads(out.getvalue())


# Responses as (minutes after T0, tokens, output, model); spread over days with gaps.
responses = st.lists(
    st.tuples(
        st.integers(0, 60 * 24 * 6), st.integers(1, 5000), st.integers(1, 50), st.integers(0, 2)
    ),
    min_size=1,
    max_size=30,
)
REPORTS = (("blocks",), ("daily", "--timezone", "Asia/Kathmandu"), ("sessions",), ("status",))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(responses, responses, st.integers(0, 60 * 24 * 3), st.data())
def test_reports_after_late_and_grown_lines_equal_a_full_recount(
    first: list[tuple[int, int, int, int]],
    later: list[tuple[int, int, int, int]],
    now_min: int,
    data: st.DataObject,
) -> None:
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        root = tmp / "projects"
        f = root / "p" / "s.jsonl"
        lines = [assistant(f"msg_{i}", o, input_tokens=n, minutes=m, model=MODELS[k])
                 for i, (m, n, o, k) in enumerate(first)]  # fmt: skip
        write_jsonl(f, lines)  # type: ignore[arg-type]
        last = max(m for m, *_ in first + later)
        now = T0.timestamp() + (last + now_min) * 60
        for report in REPORTS:
            run(tmp, root, now, *report)  # fills the caches
        # Later: new responses anywhere in time (older ones too), bigger copies of old ones.
        grown = [assistant(f"msg_{i}", o + 100, input_tokens=n, minutes=m, model=MODELS[k])
                 for i, (m, n, o, k) in enumerate(first) if data.draw(st.booleans())]  # fmt: skip
        new = [assistant(f"new_{i}", o, input_tokens=n, minutes=m, model=MODELS[k],
                         session=f"s{k}") for i, (m, n, o, k) in enumerate(later)]  # fmt: skip
        write_jsonl(f, grown + new, mode="a")  # type: ignore[arg-type]
        for report in REPORTS:
            cached = run(tmp, root, now, *report)
            again = run(tmp, root, now, *report)  # from the caches just refreshed
            full = run(tmp, root, now, *report, "--no-ledger")
            assert cached == full, report
            assert again == full, report
