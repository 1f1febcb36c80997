"""MCP_SERVERS_FILE: JSON or TOML, headers and env from the environment, one-line errors naming the mistake."""

from __future__ import annotations

import json

import pytest

from core.config import SettingsError, load_settings
from core.bootstrap import tool_options
from core.tools.config import ToolConfigError, load_servers
from core.tools.values import ServerConfig

TOML = """
[servers.files]
command = ["python", "-m", "files_mcp"]
env = { ROOT = "/srv/${TEAM}" }

[servers.search]
url = "https://search.internal/mcp"
headers = { Authorization = "Bearer ${SEARCH_TOKEN}" }
"""


def test_toml_and_json_declare_the_same_servers_with_values_from_the_environment(tmp_path):
    environ = {"SEARCH_TOKEN": "s3cret", "TEAM": "blue"}
    (tmp_path / "mcp.toml").write_text(TOML)
    (tmp_path / "mcp.json").write_text(json.dumps({"servers": {
        "files": {"command": ["python", "-m", "files_mcp"], "env": {"ROOT": "/srv/${TEAM}"}},
        "search": {"url": "https://search.internal/mcp", "headers": {"Authorization": "Bearer ${SEARCH_TOKEN}"}},
    }}))

    expected = (
        ServerConfig(name="files", command=("python", "-m", "files_mcp"), env={"ROOT": "/srv/blue"}),
        ServerConfig(name="search", url="https://search.internal/mcp", headers={"Authorization": "Bearer s3cret"}),
    )
    assert load_servers(tmp_path / "mcp.toml", environ=environ) == expected
    assert load_servers(tmp_path / "mcp.json", environ=environ) == expected


@pytest.mark.parametrize(("text", "message"), [
    ('[servers.search]\nurl = "https://x/mcp"\nheaders = { A = "${NOPE}" }', "environment variable NOPE is not set"),
    ('[servers.both]\nurl = "https://x/mcp"\ncommand = ["x"]', "exactly one of `command`"),
    ('[servers.Bad_Name]\ncommand = ["x"]', "lowercase letters"),
    ('[servers.x]\ncommand = "rm -rf /"', "`command` is a list of strings"),
    ('[servers.x]\nurl = "ftp://x"', "must start with http"),
    ('[servers.x]\ncommand = ["x"]\nshell = true', "unknown field(s) shell"),
    ("servers = 3", "needs a `servers` table"),
    ("[servers", "is not valid TOML"),
])
def test_a_mistake_is_one_line_naming_the_server_and_field(tmp_path, text, message):
    path = tmp_path / "mcp.toml"
    path.write_text(text)
    with pytest.raises(ToolConfigError) as error:
        load_servers(path, environ={})
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_bad_servers_file_stops_the_start_with_a_settings_error(tmp_path):
    settings = load_settings(mcp_servers_file=str(tmp_path / "missing.toml"), openai_api_key="k")
    with pytest.raises(SettingsError, match="MCP_SERVERS_FILE: cannot read"):
        tool_options(settings, provider="openai")
    assert tool_options(load_settings(openai_api_key="k"), provider="local").servers == ()
    assert tool_options(load_settings(openai_api_key="k"), provider="local").unavailable
