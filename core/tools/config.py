"""The operator's MCP servers file (``MCP_SERVERS_FILE``, JSON or TOML).

    [servers.files]                       # stdio: a command the operator chose, never one from chat
    command = ["python", "-m", "files_mcp"]
    env = { ROOT = "/srv/shared" }

    [servers.search]                      # streamable HTTP, headers from the environment
    url = "https://search.internal/mcp"
    headers = { Authorization = "Bearer ${SEARCH_TOKEN}" }

The same in JSON: ``{"servers": {"files": {"command": [...]}, ...}}``. ``${NAME}`` in a header or env
value is replaced by that environment variable; one that is not set is a start-up error, as is any other
mistake in the file (one line naming the server and the field).
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path

from core.tools.values import ServerConfig

_SERVER_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}$")
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ToolConfigError(Exception):
    """A mistake in the servers file; the message is one line."""


def load_servers(path: str | Path, *, environ: Mapping[str, str] | None = None) -> tuple[ServerConfig, ...]:
    environ = os.environ if environ is None else environ
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ToolConfigError(f"MCP_SERVERS_FILE: cannot read {path} ({exc.strerror or type(exc).__name__})") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ToolConfigError(f"MCP_SERVERS_FILE: {path.name} is not valid {'JSON' if path.suffix.lower() == '.json' else 'TOML'} ({exc})") from None
    servers = data.get("servers") if isinstance(data, dict) else None
    if not isinstance(servers, dict):
        raise ToolConfigError(f"MCP_SERVERS_FILE: {path.name} needs a `servers` table (one entry per server)")
    return tuple(_server(name, entry, environ) for name, entry in servers.items())


def _server(name: str, entry: object, environ: Mapping[str, str]) -> ServerConfig:
    where = f"MCP_SERVERS_FILE: server {name!r}"
    if not _SERVER_NAME.match(name):
        raise ToolConfigError(f"{where}: names are lowercase letters, digits and '-', at most 31")
    if not isinstance(entry, dict):
        raise ToolConfigError(f"{where}: expected a table with `command` or `url`")
    unknown = set(entry) - {"command", "env", "url", "headers"}
    if unknown:
        raise ToolConfigError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    command, url = entry.get("command"), entry.get("url")
    if (command is None) == (url is None):
        raise ToolConfigError(f"{where}: give exactly one of `command` (stdio) or `url` (streamable HTTP)")
    if command is not None:
        if not (isinstance(command, list) and command and all(isinstance(p, str) and p for p in command)):
            raise ToolConfigError(f"{where}: `command` is a list of strings, the program first")
        if "headers" in entry:
            raise ToolConfigError(f"{where}: `headers` are for `url` servers")
        return ServerConfig(name=name, command=tuple(command), env=_strings(entry.get("env", {}), f"{where} env", environ))
    if not (isinstance(url, str) and re.match(r"^https?://", url)):
        raise ToolConfigError(f"{where}: `url` must start with http:// or https://")
    if "env" in entry:
        raise ToolConfigError(f"{where}: `env` is for `command` servers")
    return ServerConfig(name=name, url=url, headers=_strings(entry.get("headers", {}), f"{where} headers", environ))


def _strings(table: object, where: str, environ: Mapping[str, str]) -> dict[str, str]:
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise ToolConfigError(f"{where}: expected a table of strings")
    return {str(k): _resolve(v, where, environ) for k, v in table.items()}


def _resolve(value: str, where: str, environ: Mapping[str, str]) -> str:
    def variable(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            raise ToolConfigError(f"{where}: environment variable {name} is not set")
        return environ[name]

    return _REFERENCE.sub(variable, value)
