"""/persona and /parley as application commands, modals included, against the stand-in Discord."""

from __future__ import annotations

from tests.bots.discord.test_conversations import answer_in, mention, user_texts
from tests.standins.discord_server import ALICE, BOB, BOT, DM_BOB, GENERAL, GUILD_ID, DiscordStandIn, InteractionState

EPHEMERAL = 64
MESSAGE_REPLY, MODAL = 4, 9
PIRATE = {"name": "pirate", "system_prompt": "Talk like a pirate.", "model": "", "temperature": "0.5", "max_tokens": "200"}


async def command(server: DiscordStandIn, user, channel_id: int, group: str, sub: str, /, **options: str):
    """Run ``/group sub [options]`` as ``user``; the interaction once the person sees its answer."""
    interaction_id = await server.run_command(user, channel_id, group, sub, options or None)
    return await server.wait_for_answer(interaction_id)


async def submit(server: DiscordStandIn, user, channel_id: int, form: InteractionState, values: dict[str, str]):
    interaction_id = await server.submit_modal(user, channel_id, form.modal["custom_id"], values)
    return await server.wait_for_answer(interaction_id)


def said(answer: InteractionState) -> str:
    """The text of the answer (and that only the person who asked sees it)."""
    message = answer.original
    assert message is not None and message["flags"] & EPHEMERAL, answer
    return message["content"]


def inputs(form: InteractionState) -> dict[str, dict]:
    assert form.response_type == MODAL and form.modal is not None, form
    return {row["component"]["custom_id"]: {**row["component"], "label": row["label"]} for row in form.modal["components"]}


async def create_pirate(server: DiscordStandIn) -> None:
    form = await command(server, ALICE, GENERAL, "persona", "create")
    assert "Created persona `pirate`" in said(await submit(server, ALICE, GENERAL, form, PIRATE))


async def test_commands_are_synced_globally_by_default(parley):
    synced = parley.discord.commands["global"]
    assert [c["name"] for c in synced] == ["persona", "parley", "Summarize thread"]
    subs = {c["name"]: [o["name"] for o in c["options"]] for c in synced if c.get("type", 1) == 1}
    assert subs == {
        "persona": ["list", "show", "use", "default", "delete", "create", "edit", "tools"],
        "parley": ["help", "reset", "usage", "forget-me", "retention", "limits", "memory", "export", "feedback", "filter",
                   "access", "summon", "model", "tools", "summarize"],
    }
    (sync,) = parley.discord.calls_to("PUT", "/applications/{application_id}/commands")
    assert sync.params["application_id"] == str(BOT)


async def test_commands_sync_to_the_development_guild_when_set(start_parley):
    parley = await start_parley(discord_guild_id=GUILD_ID)
    assert [c["name"] for c in parley.discord.commands[str(GUILD_ID)]] == ["persona", "parley", "Summarize thread"]
    assert "global" not in parley.discord.commands


async def test_create_opens_a_form_and_a_bad_temperature_is_named(parley):
    server = parley.discord
    form = await command(server, ALICE, GENERAL, "persona", "create")
    fields = inputs(form)
    assert list(fields) == ["name", "system_prompt", "model", "temperature", "max_tokens"]
    assert fields["system_prompt"]["style"] == 2  # a paragraph

    error = said(await submit(server, ALICE, GENERAL, form, {**PIRATE, "temperature": "5"}))
    assert "Temperature" in error and "temperature" in error and "between 0 and 2" in error
    assert "pirate" not in said(await command(server, ALICE, GENERAL, "persona", "list"))


async def test_edit_opens_the_form_prefilled_with_the_name_fixed(parley):
    server = parley.discord
    await create_pirate(server)
    form = await command(server, ALICE, GENERAL, "persona", "edit", name="pirate")
    fields = inputs(form)
    assert "name" not in fields and "pirate" in form.modal["title"]
    assert fields["system_prompt"]["value"] == "Talk like a pirate." and fields["temperature"]["value"] == "0.5"

    values = {"system_prompt": "Talk like a polite pirate.", "model": "", "temperature": "0.9", "max_tokens": "200"}
    assert "Updated persona `pirate`" in said(await submit(server, ALICE, GENERAL, form, values))
    assert "temperature 0.9" in said(await command(server, BOB, GENERAL, "persona", "show", name="pirate"))


async def test_only_admins_change_a_channels_persona(parley):
    server, llm = parley.discord, parley.llm
    await create_pirate(server)

    refusal = said(await command(server, BOB, GENERAL, "persona", "use", name="pirate"))
    assert refusal.startswith("Only admins")
    asked = await server.send_message(BOB, GENERAL, mention("who are you?"))
    await answer_in(server, int(asked["id"]), "echo: who are you?")
    assert llm.chat_requests[-1].json["messages"][0]["content"] != "Talk like a pirate."  # nothing changed

    assert "now uses persona `pirate`" in said(await command(server, ALICE, GENERAL, "persona", "use", name="pirate"))
    asked = await server.send_message(BOB, GENERAL, mention("and now?"))
    await answer_in(server, int(asked["id"]), "echo: and now?")
    assert llm.chat_requests[-1].json["messages"][0]["content"] == "Talk like a pirate."


async def test_in_a_dm_anyone_chooses_the_persona_of_that_dm(parley):
    server = parley.discord
    await create_pirate(server)  # in the guild; a DM is workspace "dm", with its own personas
    unknown = said(await command(server, BOB, DM_BOB, "persona", "use", name="pirate"))
    assert "pirate" in unknown and not unknown.startswith("Only admins")
    chosen = said(await command(server, BOB, DM_BOB, "persona", "use", name="default"))
    assert chosen == "This conversation now uses persona `default`."


async def test_parley_reset_forgets_the_channel_for_admins_only(parley):
    server, llm = parley.discord, parley.llm
    asked = await server.send_message(ALICE, GENERAL, mention("the number is 42"))
    thread_id = int(asked["id"])
    await answer_in(server, thread_id, "echo: the number is 42")

    assert said(await command(server, BOB, thread_id, "parley", "reset")).startswith("Only admins")
    done = said(await command(server, ALICE, thread_id, "parley", "reset"))  # in the thread: its channel's memory
    assert "forgot this channel's memory (2 messages)" in done

    await server.send_message(ALICE, thread_id, "what is the number?")
    await answer_in(server, thread_id, "echo: what is the number?")
    assert user_texts(llm.chat_requests[-1]) == ["what is the number?"]


async def test_help_usage_and_forget_me_are_for_everyone(parley):
    server = parley.discord
    help_text = said(await command(server, BOB, GENERAL, "parley", "help"))
    assert "/persona list" in help_text
    assert help_text.startswith("**Talk to me** by mentioning me")  # bold on Discord (*x* would be italics)
    own = said(await command(server, BOB, GENERAL, "parley", "usage"))
    assert "Your usage today" in own and "by channel" not in own
    assert "by channel" in said(await command(server, ALICE, GENERAL, "parley", "usage"))  # admins: the server's too
    assert "deleted 0 stored messages" in said(await command(server, BOB, GENERAL, "parley", "forget-me"))


async def test_limits_are_shown_to_everyone_and_set_by_admins(parley):
    server = parley.discord
    assert said(await command(server, BOB, GENERAL, "parley", "limits"))
    refused = said(await command(server, BOB, GENERAL, "parley", "limits", action="set", scope="user", limit="5/minute"))
    assert refused.startswith("Only admins")
    said(await command(server, ALICE, GENERAL, "parley", "limits", action="set", scope="user", limit="5/minute"))
    assert "5/minute" in said(await command(server, BOB, GENERAL, "parley", "limits"))


async def test_a_failing_command_is_logged_and_answered_briefly(parley):
    server = parley.discord
    server.fail_next("POST", "/interactions/{interaction_id}/{token}/callback", status=400, code=50035)
    interaction_id = await server.run_command(BOB, GENERAL, "parley", "help")
    failed = await parley.wait_logged("discord.command_failed")
    assert (failed["command"], failed["user"], failed["error"]) == ("parley help", BOB.id, "HTTPException")
    assert said(await server.wait_for_answer(interaction_id)).startswith("Sorry")


async def test_export_sends_the_channels_turns_privately_as_a_file_to_admins_only(parley):
    import json

    server = parley.discord
    asked = await server.send_message(ALICE, GENERAL, mention("remember 42"))
    await answer_in(server, int(asked["id"]), "echo: remember 42")

    refused = said(await command(server, BOB, GENERAL, "parley", "export"))
    assert refused.startswith("Only admins")
    answer = await command(server, ALICE, GENERAL, "parley", "export")
    said(answer)  # ephemeral
    ((filename, content),) = [upload for call in server.calls for upload in call.files]
    assert [a["filename"] for a in answer.original["attachments"]] == [filename]
    rows = [json.loads(line) for line in content.decode().splitlines()]
    assert filename.endswith(".jsonl") and [r["content"] for r in rows] == ["remember 42", "echo: remember 42"]


async def test_memory_and_filter_commands_reach_the_core(parley):
    server = parley.discord
    assert said(await command(server, BOB, GENERAL, "parley", "memory", state="off")).startswith("Only admins")
    assert "off" in said(await command(server, ALICE, GENERAL, "parley", "memory", state="off")).lower()
    assert said(await command(server, BOB, GENERAL, "parley", "filter"))
    blocked = said(await command(server, ALICE, GENERAL, "parley", "filter", action="block", target="forbidden"))
    assert "forbidden" in blocked



async def test_a_server_admin_cannot_give_a_persona_a_model_off_the_allowlist(parley):
    server, llm = parley.discord, parley.llm  # ALLOWED_MODELS unset: the default model and the priced ones
    form = await command(server, ALICE, GENERAL, "persona", "create")
    error = said(await submit(server, ALICE, GENERAL, form, {**PIRATE, "model": "o1-pro", "max_tokens": "32000"}))
    assert "Model" in error and "`o1-pro` is not allowed here" in error and "`gpt-4o-mini`" in error
    assert "at most 4,096" in error
    assert "pirate" not in said(await command(server, ALICE, GENERAL, "persona", "list"))
    assert not any(r.json["model"] == "o1-pro" for r in llm.chat_requests)


async def test_the_edit_form_holds_any_model_name_or_says_to_edit_in_one_line(start_parley):
    model, prompt = "org/" + "m" * 124, "Be brief. " * 450  # 128 characters (the longest model); 4,500
    server = (await start_parley(allowed_models=f"gpt-4o-mini,{model}")).discord
    for name, definition in (("longer", f"model={model} Hi."), ("wordy", prompt)):
        created = said(await command(server, ALICE, GENERAL, "persona", "create", definition=f"{name} {definition}"))
        assert f"Created persona `{name}`" in created

    form = await command(server, ALICE, GENERAL, "persona", "edit", name="longer")
    assert inputs(form)["model"]["value"] == model
    refused = said(await command(server, ALICE, GENERAL, "persona", "edit", name="wordy"))
    assert "system prompt is longer than a Discord form can hold (4,000 characters)" in refused
    assert "/persona edit name:wordy" in refused
