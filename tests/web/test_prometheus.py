"""A real Prometheus server scrapes two `token-monitor serve` instances; PromQL sums match."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.served import Served, cli_json, environment, free_port, transcripts, wait_for

PROMETHEUS = shutil.which("prometheus")
MODELS = {"alice": ("claude-opus-4-6", "claude-sonnet-4-5"), "bob": ("claude-haiku-4-5",)}


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as answer:
        body: bytes = answer.read()
        return body.decode()


def _metric_sum(text: str, name: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith(name + "{"))  # fmt: skip


@pytest.fixture(scope="module")
def instances(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[Served, dict]]]:
    """Two serve processes with different data dirs and `user` labels, caught up."""
    base = tmp_path_factory.mktemp("prom")
    out: dict[str, tuple[Served, dict]] = {}
    try:
        for i, (user, models) in enumerate(MODELS.items()):
            data = transcripts(base / f"data-{user}", sessions=2 + i, models=models)
            labels = f"metrics_labels: {{user: {user}, host: h{i}}}\n"
            env = environment(base / f"home-{user}", labels)
            status = cli_json(env, "status", "--data-dir", str(data))
            served = Served(env, "serve", "--port", "0", "--data-dir", str(data))
            out[user] = (served, status)
        yield out
    finally:
        for served, _ in out.values():
            served.stop()


def test_metrics_sum_equals_status_totals(instances: dict[str, tuple[Served, dict]]) -> None:
    for user, (served, status) in instances.items():
        expected = status["totals"]["total_tokens"]
        assert expected > 0
        text = wait_for(lambda s=served, e=expected: (
            t if _metric_sum(t := _get(s.url + "/metrics"), "token_monitor_tokens_total") == e
            else None))  # fmt: skip
        assert f'user="{user}"' in text
        cost = _metric_sum(text, "token_monitor_cost_usd_total")
        assert cost == pytest.approx(status["totals"]["cost_usd"], abs=1e-6)
        responses = _metric_sum(text, "token_monitor_responses_total")
        assert responses == status["totals"]["responses"]


def test_only_metrics_go_without_the_secret(instances: dict[str, tuple[Served, dict]]) -> None:
    served, _ = instances["alice"]
    with pytest.raises(urllib.error.HTTPError) as err:
        _get(served.url + "/")
    assert err.value.code == 404


@pytest.mark.skipif(PROMETHEUS is None, reason="Debian's prometheus is not installed")
def test_prometheus_sums_by_user(instances: dict[str, tuple[Served, dict]], tmp_path: Path) -> None:
    targets = [urllib.parse.urlsplit(s.url).netloc for s, _ in instances.values()]
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        "  - job_name: token-monitor\n"
        f"    static_configs:\n      - targets: {json.dumps(targets)}\n"
    )
    port = free_port()
    assert PROMETHEUS is not None
    proc = subprocess.Popen(
        [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        query = urllib.parse.quote("sum by (user) (token_monitor_tokens_total)")
        url = f"http://127.0.0.1:{port}/api/v1/query?query={query}"
        expected = {u: float(st["totals"]["total_tokens"]) for u, (_, st) in instances.items()}

        def sums() -> dict[str, float] | None:
            result = json.loads(_get(url))["data"]["result"]
            got = {r["metric"]["user"]: float(r["value"][1]) for r in result}
            return got if got == expected else None

        assert wait_for(sums, timeout=60, step=0.5) == expected
    finally:
        proc.terminate()
        proc.wait(15)


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.skipif(shutil.which("promtool") is None, reason="Debian's prometheus is not installed")
def test_example_prometheus_config_is_valid() -> None:
    promtool = shutil.which("promtool")
    assert promtool is not None
    check = subprocess.run([promtool, "check", "config", str(EXAMPLES / "prometheus.yml")],
                           capture_output=True, text=True)  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr


def test_grafana_dashboard_queries_only_exported_metrics(
    instances: dict[str, tuple[Served, dict]],
) -> None:
    dashboard = json.loads((EXAMPLES / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = set(re.findall(r"token_monitor_[a-z_]+", " ".join(exprs)))
    served, _ = instances["alice"]
    exported = set(re.findall(r"^(token_monitor_[a-z_]+)\{", _get(served.url + "/metrics"), re.M))
    # The block gauges exist only while a block is active: name them from the source.
    source = (Path(__file__).resolve().parents[2] / "tray_app/web/metrics.py").read_text()
    assert used <= exported | set(re.findall(r'"(token_monitor_[a-z_]+)"', source))
    assert {"token_monitor_tokens_total", "token_monitor_cost_usd_total"} <= used
