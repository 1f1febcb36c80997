"""Real ``python -m bots.slack`` processes for the tests that kill them: started, reached as Slack would, killed.

``SlackProcesses`` starts each process with the same settings (one database,
the stand-in Slack and OpenAI, ``INBOX_LEASE_SECONDS=1`` and
``RECOVERY_INTERVAL_SECONDS=0.2``), in Socket Mode or in HTTP mode on a port of
its own, and waits until it is connected (its websocket open, or its
``/healthz`` answering).  ``deliver`` hands a message event to one of them the
way Slack does and returns once Slack would have its acknowledgement (the
Socket Mode ack, or the HTTP status).  Each process's log goes to a file
(``slack-<n>.log`` in the test's directory), never to a pipe nobody reads.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from tests.bots.slack import payloads
from tests.bots.slack.conftest import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET
from tests.bots.slack.test_main import environment, free_port
from tests.standins.openai_server import OpenAIStandIn
from tests.standins.slack_server import SlackStandIn, signed_headers

WAIT = 30.0  # seconds: a process starts, connects, takes over and answers well within this


@dataclass
class SlackProcess:
    process: asyncio.subprocess.Process
    log: Path
    port: int | None = None  # HTTP mode

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class SlackProcesses:
    def __init__(
        self, tmp_path: Path, *, slack: SlackStandIn, llm: OpenAIStandIn, database_url: str, mode: str
    ) -> None:
        assert mode in ("socket", "http")
        self._tmp_path = tmp_path
        self._slack = slack
        self.mode = mode
        self._env = environment(
            tmp_path, DATABASE_URL=database_url, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=slack.base_url,
            OPENAI_BASE_URL=llm.base_url, OPENAI_API_KEY="test-key", MODERATION_ENABLED="false",
            INBOX_LEASE_SECONDS="1", RECOVERY_INTERVAL_SECONDS="0.2",
        )
        if mode == "socket":
            self._env["SLACK_APP_TOKEN"] = APP_TOKEN
        else:
            self._env["SLACK_SIGNING_SECRET"] = SIGNING_SECRET
        self.started: list[SlackProcess] = []
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> SlackProcess:
        """A new process, once it is connected."""
        log = self._tmp_path / f"slack-{len(self.started) + 1}.log"
        env = dict(self._env)
        port = free_port() if self.mode == "http" else None
        if port is not None:
            env["PORT"] = str(port)
        with open(log, "wb") as out:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bots.slack", cwd=self._tmp_path, env=env,
                stdout=asyncio.subprocess.DEVNULL, stderr=out,
            )
        started = SlackProcess(process=process, log=log, port=port)
        self.started.append(started)
        if self.mode == "socket":
            await self._slack.wait_for_socket(opened=len(self.started), timeout=WAIT)
        else:
            await self._healthy(started)
        return started

    async def deliver(self, to: SlackProcess, event: dict[str, Any], *, retry_num: int = 0) -> int:
        """One Events API delivery of ``event`` (recorded in the stand-in as posted); 200 once it is acknowledged."""
        self._slack.add_message(str(event["channel"]), str(event["ts"]), str(event.get("text") or ""),
                                user=str(event.get("user") or ""), thread_ts=event.get("thread_ts"))
        body = payloads.envelope(event)
        if self.mode == "socket":
            envelope_id = await self._slack.send_envelope("events_api", body, retry_attempt=retry_num)
            await self._slack.wait_for_ack(envelope_id, timeout=WAIT)
            return 200
        text = json.dumps(body)
        headers = {"Content-Type": "application/json", **signed_headers(SIGNING_SECRET, text)}
        if retry_num:
            headers |= {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        async with self._http().post(to.url + "/slack/events", data=text.encode(), headers=headers) as response:
            await response.read()
            return response.status

    async def kill(self, which: SlackProcess) -> None:
        """SIGKILL: no drain, no release, nothing."""
        which.process.kill()
        await which.process.wait()

    async def terminate(self, which: SlackProcess) -> None:
        """SIGTERM, as a deploy sends it (the process then drains; see ``exit_code``)."""
        which.process.send_signal(signal.SIGTERM)

    async def exit_code(self, which: SlackProcess) -> int:
        return await asyncio.wait_for(which.process.wait(), WAIT)

    def logged(self, which: SlackProcess) -> str:
        return which.log.read_text(errors="replace")

    async def close(self) -> None:
        for started in self.started:
            if started.process.returncode is None:
                started.process.kill()
                await started.process.wait()
        if self._session is not None:
            await self._session.close()

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT))
        return self._session

    async def _healthy(self, which: SlackProcess) -> None:
        async with asyncio.timeout(WAIT):
            while True:
                if which.process.returncode is not None:
                    raise AssertionError(f"the process ended at start:\n{self.logged(which)}")
                try:
                    async with self._http().get(which.url + "/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.05)
