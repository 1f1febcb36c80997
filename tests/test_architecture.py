"""The direction of imports is the architecture; this keeps it true."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLATFORM_LIBRARIES = {"slack_bolt", "slack_sdk", "discord"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def top(module: str) -> str:
    return module.split(".")[0]


def python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_core_never_imports_a_platform_library_or_an_adapter():
    offenders = {
        f"{path.relative_to(ROOT)}: {module}"
        for path in python_files("core")
        for module in imported_modules(path)
        if top(module) in PLATFORM_LIBRARIES or top(module) == "bots"
    }
    assert not offenders, offenders


def test_an_adapter_never_imports_another_adapter():
    adapters = [p.name for p in (ROOT / "bots").iterdir() if p.is_dir() and (p / "__init__.py").exists()]
    assert "shell" in adapters
    offenders = set()
    for adapter in adapters:
        for path in python_files(f"bots/{adapter}"):
            for module in imported_modules(path):
                parts = module.split(".")
                if parts[0] == "bots" and len(parts) > 1 and parts[1] != adapter:
                    offenders.add(f"{path.relative_to(ROOT)}: {module}")
    assert not offenders, offenders


def test_the_checker_sees_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import slack_sdk\nfrom discord.ext import commands\nfrom .x import y\n")
    assert {top(m) for m in imported_modules(sample)} == {"slack_sdk", "discord"}


# What only some deployments use is loaded only by them: each costs every other process memory
# (redis-py brings OpenTelemetry and cryptography: ~17 MiB; asyncpg ~3; cryptography alone ~8).
ONLY_WHEN_USED = {"redis": "RATE_LIMIT_STORAGE_URL=redis://…", "asyncpg": "PostgreSQL",
                  "cryptography": "Slack in OAuth mode", "matplotlib": "/parley usage's chart",
                  "pypdf": "an attached PDF", "PIL": "an attached image", "mcp": "MCP tools"}


def test_a_process_on_sqlite_loads_no_library_it_does_not_use():
    import subprocess
    import sys

    probe = (
        "import sys, bots.slack.__main__, bots.discord.__main__, bots.shell.__main__; "
        f"print(','.join(m for m in {sorted(ONLY_WHEN_USED)!r} if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert {name: ONLY_WHEN_USED[name] for name in loaded.stdout.strip().split(",") if name} == {}
