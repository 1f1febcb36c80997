"""Slack's files → bytes for the core (the ``AttachmentFetcher`` port).

A file shared in a message carries ``url_private`` (``url_private_download``); Slack gives its bytes to
``GET`` with the bot token as ``Authorization: Bearer`` when the app has the ``files:read`` scope, and
otherwise redirects to its login page.  Only URLs on Slack's own file host are asked (the host of
SLACK_API_URL, and ``files.`` on it: files.slack.com); redirects are never followed (the token must not go
anywhere else), and at most ``max_bytes`` are read.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import aiohttp
import structlog

from bots.slack.clients import SlackClients
from core.files.values import FileTooLarge, FileUnavailable
from core.messages import Attachment

log = structlog.get_logger(__name__)

NO_ACCESS = "Slack would not give it to me (the app may lack the files:read scope)"
CHUNK = 65_536


def file_origins(api_url: str) -> frozenset[tuple[str, str]]:
    """The (scheme, host[:port]) that Slack's files may come from, given SLACK_API_URL: its own host, and
    ``files.`` on it over https (slack.com → files.slack.com; slack-gov.com → files.slack-gov.com)."""
    api = urlsplit(api_url)
    origins = {(api.scheme, api.netloc)}
    host = api.hostname or ""
    if "." in host and not host.replace(".", "").isdigit():
        origins.add(("https", "files." + host))
    return frozenset(origins)


class SlackAttachments:
    def __init__(self, clients: SlackClients, *, api_url: str, timeout: float = 30.0) -> None:
        self._clients = clients  # the token of the workspace the file was shared in
        self._origins = file_origins(api_url)
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    def is_slack_file(self, url: str) -> bool:
        parts = urlsplit(url)
        return (parts.scheme, parts.netloc) in self._origins

    async def fetch(self, attachment: Attachment, *, workspace: str, max_bytes: int) -> bytes:
        if not self.is_slack_file(attachment.ref):
            log.warning("slack.file_refused", reason="not_slack_host")
            raise FileUnavailable("it is not on Slack's file host")
        try:
            token = (await self._clients.for_team(workspace)).token or ""
        except Exception as error:  # no installation for the workspace (any more)
            log.warning("slack.file_failed", error=type(error).__name__, reason="no_token")
            raise FileUnavailable("I have no access to this workspace's files") from None
        headers = {"Authorization": f"Bearer {token}"}
        try:  # a session per file: files are few, and nothing is left open when the bot stops
            async with aiohttp.ClientSession(timeout=self._timeout) as session, session.get(
                attachment.ref, headers=headers, allow_redirects=False
            ) as response:
                if response.status in (301, 302, 303, 307, 308) or response.status in (401, 403):
                    log.warning("slack.file_refused", status=response.status, reason="no_access")
                    raise FileUnavailable(NO_ACCESS)
                if response.status != 200:
                    log.warning("slack.file_refused", status=response.status)
                    raise FileUnavailable(f"Slack answered {response.status}")
                if response.content_type == "text/html" and not attachment.mime_type.startswith("text/html"):
                    raise FileUnavailable(NO_ACCESS)  # its login page
                return await _read_at_most(response, max_bytes)
        except aiohttp.ClientError as error:
            log.warning("slack.file_failed", error=type(error).__name__)
            raise FileUnavailable("Slack could not be reached for it") from None
        except TimeoutError:
            raise FileUnavailable("Slack took too long to send it") from None


async def _read_at_most(response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    if response.content_length is not None and response.content_length > max_bytes:
        raise FileTooLarge("over the limit")
    body = bytearray()
    async for chunk in response.content.iter_chunked(CHUNK):
        body.extend(chunk)
        if len(body) > max_bytes:
            raise FileTooLarge("over the limit")
    return bytes(body)
