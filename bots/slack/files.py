"""Files the core hands over (``/parley export``) → a private upload to the person who asked.

The file goes to the person's direct message with the app (``conversations.open``
then ``files_upload_v2``, which calls files.getUploadURLExternal, posts the
bytes to the upload URL, then files.completeUploadExternal with the DM as the
channel): nobody else in the channel sees it.  Needs the ``files:write`` and
``im:write`` scopes.
"""

from __future__ import annotations

from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from core.admin import CommandFile


async def send_privately(client: AsyncWebClient, *, user: str, file: CommandFile, comment: str, log) -> bool:
    """Upload ``file`` to the DM between the app and ``user``; False (logged) when Slack refused."""
    try:
        opened = await client.conversations_open(users=user)
        channel = str((opened.get("channel") or {}).get("id") or "")
        if not channel:
            log.warning("slack.file_failed", error="no_dm_channel")
            return False
        await client.files_upload_v2(
            channel=channel, content=file.content, filename=file.filename, title=file.filename,
            initial_comment=comment,
        )
    except SlackApiError as error:
        log.warning("slack.file_failed", error=error.response.get("error"))
        return False
    except SlackRequestError as error:  # the upload URL refused the bytes
        log.warning("slack.file_failed", error=type(error).__name__)
        return False
    log.info("slack.file_sent", bytes=len(file.content))
    return True
