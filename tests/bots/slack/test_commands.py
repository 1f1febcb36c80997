"""/persona and /parley through bolt: acked at once, answered at response_url; the persona modal."""

from __future__ import annotations

from tests.bots.slack import payloads
from tests.bots.slack.payloads import ADA, CHANNEL, GRACE


async def test_an_admin_may_choose_the_channel_persona_and_a_member_may_not(parley, slack):
    status, _ = await parley.command("/persona", "use default", user=GRACE)
    assert status == 200
    admin_reply = await slack.wait_for_call("response_url")
    status, _ = await parley.command("/persona", "use default", user=ADA)
    member_reply = await slack.wait_for_call("response_url", count=2)

    assert admin_reply.params["response_type"] == "ephemeral"
    assert admin_reply.params["text"] == "This channel now uses persona `default`."
    assert member_reply.params["response_type"] == "ephemeral"
    assert "Only admins" in member_reply.params["text"]
    assert [c.params["user"] for c in slack.calls_to("users.info")] == [GRACE, ADA]


async def test_the_admin_verdict_is_cached_for_a_while(parley, slack):
    await parley.command("/parley", "help", user=ADA)
    await parley.command("/parley", "usage", user=ADA)
    await slack.wait_for_call("response_url", count=2)
    assert len(slack.calls_to("users.info")) == 1


async def test_a_command_in_a_dm_acts_on_that_dm(parley, slack):
    await parley.command("/persona", "use default", user=ADA, channel=payloads.DM, channel_name="directmessage")
    reply = await slack.wait_for_call("response_url")
    assert reply.params["text"] == "This conversation now uses persona `default`."


async def test_an_unknown_subcommand_gets_usage_text(parley, slack):
    await parley.command("/parley", "dance", user=ADA)
    reply = await slack.wait_for_call("response_url")
    assert reply.params["response_type"] == "ephemeral" and "/parley help" in reply.params["text"]


async def open_create_form(parley, slack, *, user: str) -> dict:
    status, form = await parley.command("/persona", "create", user=user)
    assert status == 200
    opened = await slack.wait_for_call("views.open")
    assert opened.params["trigger_id"] == form["trigger_id"]
    return opened.params["view"]


async def test_persona_create_opens_a_modal_and_a_bad_temperature_is_a_field_error(parley, slack):
    view = await open_create_form(parley, slack, user=GRACE)
    assert [b["block_id"] for b in view["blocks"]] == [
        "name", "system_prompt", "model", "temperature", "max_tokens", "memory_budget"
    ]
    assert next(b for b in view["blocks"] if b["block_id"] == "system_prompt")["element"]["multiline"] is True

    status, answer = await parley.interact(payloads.view_submission(
        view, {"name": "pirate", "system_prompt": "Talk like a pirate.", "temperature": "hot"}, user=GRACE
    ))

    assert status == 200
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"temperature"} and "number" in answer["errors"]["temperature"]
    await parley.command("/persona", "list", user=GRACE)
    listing = await slack.wait_for_call("response_url")
    assert "pirate" not in listing.params["text"]  # nothing was saved


async def test_a_valid_form_creates_the_persona_and_says_so_in_the_modal(parley, slack):
    view = await open_create_form(parley, slack, user=GRACE)
    status, answer = await parley.interact(payloads.view_submission(
        view, {"name": "pirate", "system_prompt": "Talk like a pirate.", "temperature": "1.2"}, user=GRACE
    ))
    assert status == 200 and answer["response_action"] == "update"
    assert "Created persona `pirate`" in answer["view"]["blocks"][0]["text"]["text"]

    await parley.command("/persona", "edit pirate", user=GRACE)
    edit_view = (await slack.wait_for_call("views.open", count=2)).params["view"]
    blocks = {b["block_id"]: b for b in edit_view["blocks"]}
    assert blocks["name"]["type"] == "section" and "pirate" in blocks["name"]["text"]["text"]
    assert blocks["temperature"]["element"]["initial_value"] == "1.2"
    assert '"editing": "pirate"' in edit_view["private_metadata"]


async def test_a_member_submitting_the_form_is_refused_in_the_modal(parley, slack):
    view = await open_create_form(parley, slack, user=ADA)
    status, answer = await parley.interact(payloads.view_submission(
        view, {"name": "pirate", "system_prompt": "Talk like a pirate."}, user=ADA
    ))
    assert status == 200 and answer["response_action"] == "update"
    assert "Only admins" in answer["view"]["blocks"][0]["text"]["text"]
    assert CHANNEL in view["private_metadata"]


async def test_help_comes_in_slack_mrkdwn_bold(parley, slack):
    await parley.command("/parley", "help", user=GRACE)
    reply = await slack.wait_for_call("response_url")
    assert reply.params["text"].startswith("*Talk to me* by mentioning me")  # bold in mrkdwn, not italics
    assert "**" not in reply.params["text"]
