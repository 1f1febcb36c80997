"""The Dockerfile and docker-compose.yml, checked as files (Docker need not run where the tests do; issue 21).

The compose file parses; the services start in order (PostgreSQL and Redis healthy, the migrations done);
every setting a Parley service is given, and every ``${VAR}`` the file reads, is in .env.example; the
health checks ask paths the app serves on the ports it serves them on; every entry point the image and
the compose file name exists; the image is multi-stage and its final stage runs without root.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
from pathlib import Path

import pytest
import yaml

from core.config import Settings
from core.observability.http import HEALTH_PATH, READY_PATH, HealthServer
from core.observability.probe import probe
from core.observability.readiness import Readiness

ROOT = Path(__file__).resolve().parents[2]
PARLEY_SERVICES = ("migrate", "slack", "discord")
BOTS = ("slack", "discord")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def env_example_keys() -> set[str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    return {line.split("=", 1)[0].strip() for line in lines if "=" in line and not line.lstrip().startswith("#")}


def dockerfile_stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuations joined), split into stages at each FROM."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    stages: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(line)
    return stages


def is_entry_point(module: str) -> bool:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return False
    if spec.submodule_search_locations is not None:  # a package: python -m runs its __main__
        return importlib.util.find_spec(f"{module}.__main__") is not None
    return 'if __name__ == "__main__":' in Path(spec.origin).read_text()


def modules_run(command: list[str] | str) -> list[str]:
    words = shlex.split(command) if isinstance(command, str) else list(command)
    return [words[i + 1] for i, word in enumerate(words[:-1]) if word == "-m"]


def test_the_compose_file_starts_the_databases_then_the_migrations_then_the_bots(compose):
    services = compose["services"]
    assert {"postgres", "redis", *PARLEY_SERVICES} <= set(services)
    for database in ("postgres", "redis"):
        assert services[database]["healthcheck"]["test"], f"{database} needs a healthcheck"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert modules_run(services["migrate"]["command"]) == ["core.storage.migrate"]
    for bot in BOTS:
        depends = services[bot]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["redis"]["condition"] == "service_healthy"
        assert modules_run(services[bot]["command"]) == [f"bots.{bot}"]
        assert services[bot]["env_file"] == ".env"


def test_every_setting_the_compose_file_gives_or_reads_is_in_env_example(compose, env_example_keys):
    settings = {name.upper() for name in Settings.model_fields}
    for name in PARLEY_SERVICES:
        for key in compose["services"][name].get("environment", {}):
            assert key in settings, f"{name}: {key} is not a Parley setting"
            assert key in env_example_keys, f"{name}: {key} is missing from .env.example"
    read = set(re.findall(r"\$\{(\w+)", (ROOT / "docker-compose.yml").read_text()))
    assert read and read <= env_example_keys, f"missing from .env.example: {read - env_example_keys}"


def test_health_checks_ask_what_the_app_serves_where_it_serves_it(compose):
    services = compose["services"]
    for bot in BOTS:
        service = services[bot]
        check = service["healthcheck"]["test"]
        assert modules_run(check) == ["core.observability.probe"] and check[-1] in (HEALTH_PATH, READY_PATH)
        health_port = service["environment"]["HEALTH_PORT"]
        assert health_port in [str(port) for port in service["expose"]]
    slack = services["slack"]
    published = [str(mapping).rsplit(":", 1)[1] for mapping in slack["ports"]]
    assert slack["environment"]["PORT"] in published  # HTTP mode: events and probes on PORT
    runtime = dockerfile_stages()[-1]
    exposed = {word for line in runtime if line.startswith("EXPOSE") for word in line.split()[1:]}
    assert {slack["environment"]["PORT"], slack["environment"]["HEALTH_PORT"]} <= exposed
    healthcheck = next(line for line in runtime if line.startswith("HEALTHCHECK"))
    assert "core.observability.probe" in healthcheck and READY_PATH in healthcheck


async def test_the_probe_finds_the_health_port_or_else_port():
    server = HealthServer(readiness=Readiness(), metrics=None, host="127.0.0.1", port=0)
    port = await server.start()
    try:
        closed = HealthServer(readiness=Readiness(), metrics=None, host="127.0.0.1", port=0)
        unused = await closed.start()
        await closed.aclose()
        ok, said = await _in_thread(probe, READY_PATH, ports=(unused, port))
    finally:
        await server.aclose()
    assert ok, said
    assert not (await _in_thread(probe, HEALTH_PATH, ports=(unused,)))[0]


async def _in_thread(fn, *args, **kwargs):
    import asyncio

    return await asyncio.to_thread(fn, *args, **kwargs)


def test_the_image_is_multi_stage_without_build_tools_and_runs_without_root():
    stages = dockerfile_stages()
    assert len(stages) >= 2
    runtime = stages[-1]
    assert not any(tool in line for line in runtime for tool in ("build-essential", "cmake", "gcc", "apt-get install"))
    users = [line.split()[1] for line in runtime if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert any("WITH_LOCAL_MODEL" in line and ".[local]" in line for line in stages[0])  # the bundled model, asked for
    for line in (line for stage in stages for line in stage if line.startswith("COPY") and "--from" not in line):
        for source in line.split()[1:-1]:
            assert (ROOT / source).exists(), f"the Dockerfile copies {source}, which is not in the repo"


def test_every_entry_point_the_image_and_compose_name_exists(compose):
    commands = [line for stage in dockerfile_stages() for line in stage if line.startswith(("CMD", "HEALTHCHECK"))]
    named = [module for line in commands for module in modules_run(line.replace('"', " ").replace(",", " "))]
    named += [m for service in PARLEY_SERVICES for m in modules_run(compose["services"][service]["command"])]
    assert {"bots.slack", "core.observability.probe", "core.storage.migrate", "bots.discord"} <= set(named)
    for module in [*named, "bots.shell"]:
        assert is_entry_point(module), f"python -m {module} does not run anything"


def test_the_grafana_dashboard_asks_only_for_metrics_parley_exports():
    from core.observability.prometheus import PrometheusMetrics

    metrics = PrometheusMetrics()
    metrics.message_finished(platform="slack", outcome="answered", seconds=1.0, first_text_seconds=0.5)
    metrics.llm_request(model="m", outcome="ok")
    metrics.llm_usage(model="m", prompt_tokens=1, completion_tokens=1, cost_usd=0.01)
    metrics.refused(kind="budget", scope="user")
    metrics.filter_decision(filter="pii", direction="input", action="redacted")
    exported = set(re.findall(r"^(\w+)[{ ]", metrics.exposition()[0].decode(), flags=re.MULTILINE))
    dashboard = __import__("json").loads((ROOT / "deploy/grafana/parley-dashboard.json").read_text())
    asked = {
        name for panel in dashboard["panels"] for target in panel["targets"]
        for name in re.findall(r"\b((?:parley|process)_\w+)\{", target["expr"])
    }
    assert len(asked) >= 12 and asked <= exported, f"not exported: {asked - exported}"
