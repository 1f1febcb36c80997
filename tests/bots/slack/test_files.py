"""Files shared with a question, through the real bolt app: Slack's url_private with the bot token (files:read),
the text in the request, images as image parts the stand-in OpenAI checks, and nothing else ever fetched."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest
import yaml

from bots.slack.app import build_bot
from bots.slack.attachments import file_origins
from bots.slack.server import HttpServer
from bots.slack.translate import BotIdentity, translate_event
from core.bootstrap import start_core
from core.llm.local_provider import LocalProvider
from core.messages import ChannelScope
from core.storage.conversations import SqlConversationStore
from tests.bots.slack import payloads
from tests.bots.slack.conftest import BOT_TOKEN, Parley, parley_settings
from tests.infra.test_local_provider import require_local_model
from tests.bots.slack.payloads import BOT_USER, CHANNEL
from tests.sample_files import pdf, png
from tests.standins.openai_server import Reply

MANIFEST = Path(__file__).parents[3] / "bots" / "slack" / "manifest.yml"


@pytest.fixture
def settings_overrides():
    return {"default_model": "gpt-4o-mini"}  # a model that takes images, for the stand-in OpenAI too


@pytest.fixture
def installed(slack):
    """The bot token has the scopes the manifest asks for, as when the app is installed from it."""
    slack.grant(BOT_TOKEN, *yaml.safe_load(MANIFEST.read_text())["oauth_config"]["scopes"]["bot"])
    return slack


def mention_with(*files, text: str = "what is in this?"):
    event = payloads.app_mention(f"<@{BOT_USER}> {text}")
    return event | {"files": list(files), "upload": False}


async def answered(parley, event):
    await parley.deliver(event)
    await parley.handled(1)


def footer_of(slack) -> str:
    posted = [m for m in slack.messages.values() if m.user == slack.bot_user_id]
    return slack.shown(posted[-1].text) if posted else ""


async def test_a_2_mb_text_file_is_downloaded_with_the_token_and_cut_with_a_footer(parley, installed, llm):
    llm.script(Reply("It is a long log."))
    big = installed.host_file("server.log", b"line of the log\n" * 131_072, mimetype="text/plain")  # 2 MiB
    await answered(parley, mention_with(big))

    (download,) = installed.file_requests
    assert download.token == BOT_TOKEN and download.status == 200
    sent = llm.chat_requests[0].json["messages"][-1]["content"]
    assert sent.startswith("what is in this?\n\n[File: server.log (cut to its first 20,000 characters)]\nline of the log")
    assert len(sent) < 20_200
    assert "`server.log` was cut to its first 20,000 characters (the limit per file)." in footer_of(installed)


async def test_a_pdf_gives_its_text(parley, installed, llm):
    report = installed.host_file("report.pdf", pdf("Revenue grew 12 percent."), mimetype="application/pdf")
    await answered(parley, mention_with(report, text="how much did revenue grow?"))
    sent = llm.chat_requests[0].json["messages"][-1]["content"]
    assert sent == "how much did revenue grow?\n\n[File: report.pdf]\nRevenue grew 12 percent.\n[End of file: report.pdf]"


async def test_a_png_reaches_a_vision_model_as_an_image_part(parley, installed, llm):
    photo = installed.host_file("chart.png", png(40, 30), mimetype="image/png")
    await answered(parley, mention_with(photo))
    text, image = llm.chat_requests[0].json["messages"][-1]["content"]
    assert text == {"type": "text", "text": "what is in this?\n\n[Images attached: chart.png]"}
    assert image["type"] == "image_url" and image["image_url"]["url"].startswith("data:image/png;base64,iVBORw0KGgo")
    turns = await SqlConversationStore(parley.running.database).channel_turns(
        ChannelScope(platform="slack", workspace=payloads.TEAM, channel=CHANNEL), limit=10
    )
    assert [t.content for t in turns if t.role == "user"] == ["what is in this?\n\n[Images attached: chart.png]"]


async def test_without_files_read_slack_redirects_to_its_login_and_the_question_is_still_answered(parley, slack, llm):
    notes = slack.host_file("notes.txt", b"secret plans", mimetype="text/plain")
    await answered(parley, mention_with(notes))
    (download,) = slack.file_requests
    assert download.status == 302 and download.token == BOT_TOKEN
    sent = llm.chat_requests[0].json["messages"][-1]["content"]
    assert sent == "what is in this?"
    assert "`notes.txt` was not read: Slack would not give it to me (the app may lack the files:read scope)." in footer_of(slack)


async def test_urls_in_the_message_and_in_the_file_are_never_fetched(parley, installed, llm):
    elsewhere = f"http://localhost:{installed.port}/files-pri/{payloads.TEAM}-F1/other.txt"
    links = installed.host_file("links.txt", f"see {installed.url('/files-pri/x/y.txt')} and {llm.base_url}".encode(),
                                mimetype="text/plain")
    foreign = installed.host_file("foreign.txt", b"x", mimetype="text/plain") | {"url_private": elsewhere}
    await answered(parley, mention_with(links, foreign, text=f"what about {installed.url('/files-pri/z/z.txt')} ?"))
    assert [r.path for r in installed.file_requests] == [installed.file_requests[0].path]
    assert installed.file_requests[0].path.endswith("/links.txt")
    assert [r.path for r in llm.requests if r.path != "/v1/moderations"] == ["/v1/chat/completions"]
    assert "`foreign.txt` was not read: it is not on Slack's file host." in footer_of(installed)


def test_the_files_of_a_file_share_message_become_attachments_and_external_ones_are_left_out():
    event = payloads.dm_message("here") | {"subtype": "file_share", "files": [
        {"id": "F1", "name": "a.csv", "mimetype": "text/csv", "size": 12, "mode": "hosted",
         "url_private": "https://files.slack.com/files-pri/T-F1/a.csv"},
        {"id": "F2", "name": "doc", "mimetype": "application/vnd.google-apps.document", "mode": "external",
         "url_private": "https://docs.example/doc"},
        {"id": "F3", "mode": "tombstone"},
    ]}
    delivery = translate_event(event, team_id=payloads.TEAM, bot=BotIdentity(BOT_USER), names={})
    (only,) = delivery.message.attachments
    assert (only.name, only.mime_type, only.size, only.ref) == (
        "a.csv", "text/csv", 12, "https://files.slack.com/files-pri/T-F1/a.csv"
    )


async def test_to_the_local_model_an_image_is_not_sent_and_the_footer_says_so(tmp_path, installed, llm, clock):
    settings = parley_settings(tmp_path, installed, llm, llm_provider="local", openai_base_url=None,
                               openai_api_key=None, persona_max_tokens=4)
    running = await start_core(settings, llm=await asyncio.to_thread(LocalProvider.load, require_local_model()))
    bot = build_bot(running.core, settings, clock=clock)
    server = HttpServer(bot.app, host="127.0.0.1", port=0)
    port = await server.start()
    try:
        async with aiohttp.ClientSession() as session:
            parley = Parley(bot=bot, running=running, url=f"http://127.0.0.1:{port}/slack/events", session=session,
                            slack=installed)
            photo = installed.host_file("cat.png", png(), mimetype="image/png")
            await answered(parley, mention_with(photo))
    finally:
        await bot.in_flight.drain(timeout=5)
        await server.aclose()
        await bot.aclose()
        await running.aclose()
    assert installed.file_requests == [] and llm.chat_requests == []  # not even downloaded
    assert "The local model can't see images: `cat.png` was not shown to it." in footer_of(installed)


def test_files_are_read_only_from_slacks_own_hosts():
    assert file_origins("https://slack.com/api/") == {("https", "slack.com"), ("https", "files.slack.com")}
    assert ("https", "files.slack-gov.com") in file_origins("https://slack-gov.com/api/")
    assert file_origins("http://127.0.0.1:4000/api/") == {("http", "127.0.0.1:4000")}
