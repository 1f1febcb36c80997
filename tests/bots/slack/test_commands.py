"""/persona and /parley through bolt: acked at once, answered at response_url; the persona modal."""

from __future__ import annotations

import pytest

from core.admin import Actor
from core.personas.values import MAX_MODEL_CHARS
from tests.bots.slack import payloads
from tests.bots.slack.conftest import eventually
from tests.bots.slack.payloads import ADA, CHANNEL, GRACE, TEAM


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


async def test_the_admin_verdict_is_one_lookup_however_commands_interleave(parley, slack):
    release = slack.hold("users.info")
    await parley.command("/parley", "help", user=ADA)
    await slack.wait_for_held("users.info")
    await parley.command("/parley", "usage", user=ADA)  # while the first lookup is still under way
    await eventually(lambda: parley.bot.in_flight.active == 2)
    release.set()
    await slack.wait_for_call("response_url", count=2)
    await parley.command("/parley", "help", user=ADA)  # later: from the cache
    await slack.wait_for_call("response_url", count=3)
    assert len(slack.calls_to("users.info")) == 1


async def test_a_slack_connect_partners_admin_is_no_admin_here(parley, slack):
    slack.add_user("U0PARTNER", name="pat", is_admin=True, team_id="T0PARTNER")
    slack.add_user("U0STRANGER", name="sam", is_owner=True, team_id="T0FARAWAY", is_stranger=True)
    for n, user in enumerate(("U0PARTNER", "U0STRANGER"), start=1):
        await parley.command("/persona", "use default", user=user)
        reply = await slack.wait_for_call("response_url", count=n)
        assert "Only admins" in reply.params["text"]


async def test_a_command_in_a_dm_acts_on_that_dm(parley, slack):
    await parley.command("/persona", "use default", user=ADA, channel=payloads.DM, channel_name="directmessage")
    reply = await slack.wait_for_call("response_url")
    assert reply.params["text"] == "This conversation now uses persona `default`."


async def test_an_unknown_subcommand_gets_usage_text(parley, slack):
    await parley.command("/parley", "dance", user=ADA)
    reply = await slack.wait_for_call("response_url")
    assert reply.params["response_type"] == "ephemeral" and "/parley help" in reply.params["text"]


async def form_of(parley, slack, text: str, *, user: str, count: int = 1) -> dict:
    """The view a form command leaves in the modal: opened at once, then updated to the form."""
    status, form = await parley.command("/persona", text, user=user)
    assert status == 200
    opened = await slack.wait_for_call("views.open", count=count)
    assert opened.params["trigger_id"] == form["trigger_id"] and opened.response["ok"]
    updated = await slack.wait_for_call("views.update", count=count)
    assert updated.params["view_id"] == opened.response["view"]["id"] and updated.response["ok"]
    return slack.views[updated.params["view_id"]]


async def open_create_form(parley, slack, *, user: str) -> dict:
    return await form_of(parley, slack, "create", user=user)


async def test_persona_create_opens_a_modal_and_a_bad_temperature_is_a_field_error(parley, slack):
    view = await open_create_form(parley, slack, user=GRACE)
    assert [b["block_id"] for b in view["blocks"]] == [
        "name", "system_prompt", "model", "temperature", "max_tokens", "memory_budget", "channel_context"
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

    edit_view = await form_of(parley, slack, "edit pirate", user=GRACE, count=2)
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


async def test_the_form_opens_within_three_seconds_even_when_looking_things_up_is_slow(parley, slack, slack_clock):
    release = slack.hold("users.info")
    await parley.command("/persona", "create", user=GRACE)
    await slack.wait_for_held("users.info")
    slack_clock.advance(3.5)  # the lookups took longer than a trigger_id lives
    release.set()
    update = await slack.wait_for_call("views.update")

    assert [c.response["ok"] for c in slack.calls_to("views.open")] == [True]
    assert slack.views[update.params["view_id"]]["blocks"][0]["block_id"] == "name"
    assert not slack.calls_to("response_url")


async def test_a_form_command_that_is_refused_says_so_in_the_modal_it_opened(parley, slack):
    await parley.command("/persona", "edit nobody", user=GRACE)
    update = await slack.wait_for_call("views.update")
    assert "There is no persona named" in update.params["view"]["blocks"][0]["text"]["text"]


def as_admin() -> Actor:
    return Actor(platform="slack", workspace=TEAM, channel=CHANNEL, user=GRACE, is_admin=True)


async def test_a_long_reply_comes_in_messages_of_at_most_4000_characters(parley, slack):
    prompt = " ".join(f"rule{n}: be kind & brief <always>." for n in range(300))[:8_000]
    created = await parley.running.core.commands.run(as_admin(), "persona", f"create long {prompt}")
    assert created.ok, created.text

    await parley.command("/persona", "show long", user=ADA)
    await parley.handled(1)

    replies = [c.params["text"] for c in slack.calls_to("response_url")]
    assert len(replies) >= 3 and all(len(text) <= 4_000 for text in replies)
    seen = " ".join(slack.shown(text) for text in replies)
    assert [w for w in seen.split() if w.startswith("rule")] == [w for w in prompt.split() if w.startswith("rule")]


LONG_MODEL = ("hf.co/" + "an-org-with-a-long-name/" * 9)[: MAX_MODEL_CHARS - 17] + "model-GGUF:Q4_K_M"


@pytest.mark.parametrize("settings_overrides", [{"allowed_models": f"stand-in-model,{LONG_MODEL}"}])
async def test_the_longest_model_name_is_prefilled_whole_in_the_form(parley, slack):
    assert len(LONG_MODEL) == MAX_MODEL_CHARS
    created = await parley.running.core.commands.run(as_admin(), "persona", f"create wide model={LONG_MODEL} Hi.")
    assert created.ok, created.text

    view = await form_of(parley, slack, "edit wide", user=GRACE)
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert blocks["model"]["element"]["initial_value"] == LONG_MODEL
    assert blocks["model"]["element"]["max_length"] == MAX_MODEL_CHARS  # no longer than the core takes
