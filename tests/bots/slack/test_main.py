"""``python -m bots.slack`` as a real process: its checks at start, both modes, a clean stop on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.bots.slack import payloads
from tests.bots.slack.conftest import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET
from tests.bots.slack.payloads import BOT_USER, CHANNEL

KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR", "VIRTUAL_ENV", "PYTHONPATH")
ROOT = Path(__file__).resolve().parents[3]


def environment(tmp_path: Path, **values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in KEEP}
    env.update(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'parley.db'}", LOG_LEVEL="INFO", PYTHONPATH=str(ROOT))
    env.update(HEALTH_PORT="0")  # Socket Mode's health server on a free port: processes side by side never clash
    env.update(values)
    return env


async def start(tmp_path: Path, **values: str) -> asyncio.subprocess.Process:
    # cwd=tmp_path: no stray .env is read
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bots.slack", cwd=tmp_path, env=environment(tmp_path, **values),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )


async def read_until(process: asyncio.subprocess.Process, marker: str, *, timeout: float = 20) -> str:
    seen = ""
    async with asyncio.timeout(timeout):
        while marker not in seen:
            line = await process.stderr.readline()
            if not line:
                raise AssertionError(f"process ended before {marker!r}:\n{seen}")
            seen += line.decode()
    return seen


async def stop(process: asyncio.subprocess.Process) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    _, rest = await asyncio.wait_for(process.communicate(), 20)
    return process.returncode, rest.decode()


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"SLACK_BOT_TOKEN": "", "OPENAI_API_KEY": "k"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN, "OPENAI_API_KEY": "k"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN, "PORT": "lots"}, "PORT"),
    ],
)
async def test_a_missing_or_bad_setting_is_one_line_and_exit_code_2(tmp_path, values, named):
    process = await start(tmp_path, **values)
    _, err = await asyncio.wait_for(process.communicate(), 20)
    text = err.decode().strip()
    assert process.returncode == 2 and named in text and text.count("\n") == 0, text


async def test_an_unreachable_database_is_one_line_and_exit_code_1(tmp_path):
    process = await start(
        tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN, OPENAI_API_KEY="k",
        DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:1/parley",
    )
    _, err = await asyncio.wait_for(process.communicate(), 20)
    text = err.decode().strip()
    assert process.returncode == 1 and "127.0.0.1:1" in text and text.count("\n") == 0, text


async def test_socket_mode_runs_answers_and_stops_cleanly(tmp_path, slack, llm):
    process = await start(
        tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN, SLACK_API_URL=slack.base_url,
        OPENAI_BASE_URL=llm.base_url, OPENAI_API_KEY="test-key",
    )
    try:
        started = await read_until(process, "slack.started")
        await slack.wait_for_socket()
        mention = payloads.app_mention(f"<@{BOT_USER}> are you running?")
        envelope_id = await slack.send_envelope("events_api", payloads.envelope(mention))
        await slack.wait_for_ack(envelope_id)
        done = await slack.wait_for_call("chat.stopStream", timeout=10)
        # HEALTH_PORT (0 here: a free one, logged): ready with its websocket open (issue 21)
        health_port = re.search(r"health.started\s.*port=(\d+)", started).group(1)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{health_port}/readyz") as ready:
                body = await ready.json()
                assert ready.status == 200 and body["checks"]["slack"] == "ok", body
    finally:
        code, rest = await stop(process)

    assert "mode=socket" in started and "xapp-" not in started + rest and "xoxb-" not in started + rest
    assert slack.text_of(CHANNEL, done.params["ts"]) == "echo: are you running?"
    assert code == 0, rest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_http_mode_serves_slack_events_on_port_and_checks_signatures(tmp_path, slack, llm):
    port = free_port()
    process = await start(
        tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=slack.base_url,
        OPENAI_BASE_URL=llm.base_url, OPENAI_API_KEY="test-key", PORT=str(port),
    )
    try:
        started = await read_until(process, "slack.started")
        url = f"http://127.0.0.1:{port}"
        body = payloads.as_json(payloads.envelope(payloads.app_mention(f"<@{BOT_USER}> over http")))
        async with aiohttp.ClientSession() as session:
            async with session.get(url + "/healthz") as health:
                assert health.status == 200
            async with session.get(url + "/readyz") as ready:  # beside the events, on PORT (issue 21)
                assert ready.status == 200 and (await ready.json())["checks"]["database"] == "ok"
            async with session.post(url + "/slack/events", data=body, headers={"X-Slack-Signature": "v0=00"}) as bad:
                assert bad.status == 401
            from tests.standins.slack_server import signed_headers

            headers = {"Content-Type": "application/json", **signed_headers(SIGNING_SECRET, body)}
            async with session.post(url + "/slack/events", data=body, headers=headers) as good:
                assert good.status == 200
        await slack.wait_for_call("chat.stopStream", timeout=10)
    finally:
        code, rest = await stop(process)

    assert "mode=http" in started and f"port={port}" in started and SIGNING_SECRET not in started + rest
    assert code == 0, rest
