"""Attachments of a Discord message, read from the (stand-in) CDN by discord.py, into the request."""

from __future__ import annotations

from bots.discord.translate import facts_from_payload, translate
from core.messages import Attachment
from tests.bots.discord.payloads import BOT_ID, DIRECT_MESSAGE, variant
from tests.bots.discord.test_conversations import answer_in, mention
from tests.bots.discord.test_translate import IN_DM
from tests.sample_files import png
from tests.standins.discord_server import ALICE, DM_ALICE, GENERAL
from tests.standins.openai_server import Reply


async def test_a_text_attachment_and_an_image_reach_the_model_and_other_urls_are_not_fetched(
    start_parley, discord_server
):
    parley = await start_parley(discord_cdn_url=discord_server.cdn_url, default_model="gpt-4o-mini")
    server = parley.discord
    parley.llm.script(Reply("Notes and a red chart."))
    link = server.url("/attachments/1/2/elsewhere.txt")
    asked = await server.send_message_with_files(ALICE, GENERAL, mention(f"what is this? see {link}"), [
        ("notes.md", f"# Notes\nremember {link}".encode(), "text/markdown; charset=utf-8"),
        ("chart.png", png(20, 10), "image/png"),
    ])
    await server.wait_for(lambda: parley.llm.chat_requests)
    text, image = parley.llm.chat_requests[0].json["messages"][-1]["content"]
    assert text["text"] == (
        f"what is this? see {link}\n\n[File: notes.md]\n# Notes\nremember {link}\n[End of file: notes.md]"
        "\n\n[Images attached: chart.png]"
    )
    assert image["image_url"]["url"].startswith("data:image/png;base64,")
    assert [(r.path.rsplit("/", 1)[-1], r.status) for r in server.cdn_requests] == [("notes.md", 200), ("chart.png", 200)]
    await answer_in(server, int(asked["id"]), "Notes and a red chart.")


async def test_an_attachment_on_another_host_is_not_fetched_and_the_footer_says_so(start_parley, discord_server):
    parley = await start_parley(discord_cdn_url="https://cdn.discordapp.com")
    server = parley.discord
    await server.send_message_with_files(ALICE, DM_ALICE, "read this", [("a.txt", b"hello", "text/plain")])
    await server.wait_for(lambda: any("not read" in m["content"] for m in server.bot_messages(DM_ALICE)))
    assert server.cdn_requests == []
    assert "`a.txt` was not read: it is not on Discord's CDN." in server.bot_messages(DM_ALICE)[-1]["content"]


def test_a_payloads_attachments_become_the_messages_attachments():
    url = "https://cdn.discordapp.com/attachments/1/2/notes.txt?ex=1&is=2&hm=3&"
    payload = variant(DIRECT_MESSAGE, attachments=[
        {"id": "2", "filename": "notes.txt", "size": 5, "url": url, "proxy_url": url, "content_type": "text/plain"},
        {"id": "3", "filename": "blob", "size": 9, "url": url + "x", "proxy_url": url},
    ])
    result = translate(facts_from_payload(payload, place=IN_DM), bot_id=BOT_ID)
    assert result.message.attachments == (
        Attachment(name="notes.txt", mime_type="text/plain", size=5, ref=url),
        Attachment(name="blob", mime_type="", size=9, ref=url + "x"),
    )
