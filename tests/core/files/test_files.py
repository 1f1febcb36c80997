"""Files and images attached to a message, through the whole core with a fake fetcher at the port."""

from __future__ import annotations

from dataclasses import replace

from core.assembly import LimitOptions
from core.files.images import image_tokens
from core.files.values import FileLimits, VisionPolicy
from core.filters.policy import FilterDefaults
from core.filters.values import BlockRule
from core.limits.budgets import BudgetCaps
from core.messages import OutcomeKind, WorkspaceScope
from core.personas.values import Persona
from tests.core.conftest import DM, build_world, msg
from tests.core.fakes import FakeFetcher
from tests.sample_files import pdf, png

SMALL = FileLimits(max_file_chars=1_000, max_message_chars=1_500, max_file_bytes=50_000, image_max_side=512)


def world_with_files(*, files: FileLimits = SMALL, **options):
    world = build_world(files=files, **options)
    fetcher = FakeFetcher()
    world.core.files.serve("slack", fetcher)
    return world, fetcher


def sent_text(world) -> str:
    return world.llm.requests[-1].messages[-1].content


async def test_a_text_file_is_read_into_the_request_labelled_with_its_name_and_stored_as_text():
    world, files = world_with_files()
    notes = files.add("notes.md", b"# Plan\nShip on Friday.", mime_type="text/markdown")
    _, outcome = await world.send(msg("what day do we ship?", attachments=(notes,)))
    assert outcome.kind is OutcomeKind.ANSWERED and outcome.notices == ()
    assert sent_text(world) == "what day do we ship?\n\n[File: notes.md]\n# Plan\nShip on Friday.\n[End of file: notes.md]"
    assert world.turns.contents(DM)[0] == ("user", sent_text(world), "ok")


async def test_text_over_the_limits_is_cut_and_the_footer_says_so_per_file_and_per_message():
    world, files = world_with_files()
    big = files.add("big.txt", b"a" * 1_200, mime_type="text/plain")
    second = files.add("second.csv", b"b" * 800, mime_type="text/csv")
    third = files.add("third.json", b"{}", mime_type="application/json")
    _, outcome = await world.send(msg("sum up", attachments=(big, second, third)))
    assert outcome.kind is OutcomeKind.ANSWERED
    assert outcome.notices == (
        "`big.txt` was cut to its first 1,000 characters (the limit per file).",
        "`second.csv` was cut to its first 500 characters (the limit for all files of one message).",
        "`third.json` was not read: the files of one message may give at most 1,500 characters.",
    )
    text = sent_text(world)
    assert "a" * 1_000 in text and "a" * 1_001 not in text and "b" * 500 in text and "b" * 501 not in text
    assert files.asked == [big.ref, second.ref]  # the third was never downloaded


async def test_a_pdf_gives_its_text():
    world, files = world_with_files()
    report = files.add("report.pdf", pdf("Quarterly revenue was 42 million."), mime_type="application/pdf")
    _, outcome = await world.send(msg("what was the revenue?", attachments=(report,)))
    assert outcome.kind is OutcomeKind.ANSWERED and outcome.notices == ()
    assert "[File: report.pdf]\nQuarterly revenue was 42 million.\n[End of file: report.pdf]" in sent_text(world)


async def test_unsupported_oversized_damaged_and_missing_files_get_a_line_each_and_the_question_is_answered():
    world, files = world_with_files()
    archive = files.add("code.zip", b"PK\x03\x04", mime_type="application/zip")
    huge = files.add("dump.log", b"x", mime_type="text/plain", size=60_000)
    fake_pdf = files.add("fake.pdf", b"not a pdf at all", mime_type="application/pdf")
    binary = files.add("data.txt", b"\x00\x01\x02", mime_type="text/plain")
    broken = files.add("broken.png", b"\x89PNG nothing", mime_type="image/png")
    gone = replace(files.add("gone.txt", b""), ref="file://elsewhere")
    _, outcome = await world.send(
        msg("anything?", attachments=(archive, huge, fake_pdf, binary, broken, gone)),
        )
    assert outcome.kind is OutcomeKind.ANSWERED
    assert outcome.notices == (
        "`code.zip` was not read: I can't read this kind of file (application/zip). I read text, Markdown, CSV, "
        "JSON, YAML, source code, PDF, and PNG, JPEG, GIF or WebP images.",
        "`dump.log` was not read: it is 60 KB, and the limit is 50 KB per file.",
        "`fake.pdf` was not read: it is not a PDF.",
        "`data.txt` was not read: its content is not text.",
        "`broken.png` was not read: it is not an image I can open.",
        "`gone.txt` was not read: the platform would not give it to me.",
    )
    assert huge.ref not in files.asked and archive.ref not in files.asked


async def test_a_file_alone_is_a_question_but_nothing_readable_gets_only_the_reasons():
    world, files = world_with_files()
    notes = files.add("todo.txt", b"buy milk", mime_type="text/plain")
    _, answered = await world.send(msg("", attachments=(notes,)))
    assert answered.kind is OutcomeKind.ANSWERED and "buy milk" in sent_text(world)
    archive = files.add("a.zip", b"PK", mime_type="application/zip")
    _, refused = await world.send(msg("", attachments=(archive,)))
    assert refused.kind is OutcomeKind.INVALID and refused.text.startswith("`a.zip` was not read")
    assert len(world.llm.requests) == 1


async def test_an_image_goes_to_a_vision_model_as_a_part_and_only_its_name_is_stored():
    world, files = world_with_files()  # the default model gpt-4o-mini takes images
    photo = files.add("cat.png", png(64, 48), mime_type="image/png")
    _, outcome = await world.send(msg("what is this?", attachments=(photo,)))
    assert outcome.kind is OutcomeKind.ANSWERED and outcome.notices == ()
    last = world.llm.requests[-1].messages[-1]
    (image,) = last.images
    assert image.data_url.startswith("data:image/png;base64,") and image.tokens == 85 + 170
    assert last.content == "what is this?\n\n[Images attached: cat.png]"
    stored = world.turns.contents(DM)[0][1]
    assert stored == "what is this?\n\n[Images attached: cat.png]" and "base64" not in stored
    # the next request carries the turn's text, never the image again
    await world.send(msg("and now?"))
    assert all(m.images == () for m in world.llm.requests[-1].messages)


async def test_a_large_image_is_scaled_down_and_counts_towards_the_budget_reservation():
    cap = LimitOptions(caps=BudgetCaps({("user", "daily", "tokens"): 1_024 + 200}), prices={})
    without, _ = world_with_files(limits=cap)  # the answer's 1,024 tokens and a short question fit...
    _, plain = await without.send(msg("look\n\n[Images attached: wide.png]"))
    assert plain.kind is OutcomeKind.ANSWERED
    world, files = world_with_files(limits=cap)  # ... with the image's 255 tokens they do not
    photo = files.add("wide.png", png(2_000, 1_000), mime_type="image/png")
    _, refused = await world.send(msg("look", attachments=(photo,)))
    assert refused.kind is OutcomeKind.LIMITED and world.llm.requests == []

    world, files = world_with_files()
    photo = files.add("wide.png", png(2_000, 1_000), mime_type="image/png")
    _, outcome = await world.send(msg("look", attachments=(photo,)))
    (part,) = world.llm.requests[-1].messages[-1].images
    assert outcome.notices == ("`wide.png` was scaled down to fit 512 × 512 pixels.",)
    assert part.tokens == image_tokens(512, 256) == 85 + 170
    assert part.data_url.startswith("data:image/jpeg;base64,")


async def test_a_model_that_takes_no_images_and_the_local_model_say_so():
    world, files = world_with_files()
    scope = WorkspaceScope(platform="slack", workspace="T1")
    await world.stores.personas.save(scope, Persona(name="old", system_prompt="Old.", model="gpt-3.5-turbo"))
    await world.core.personas.command(actor_admin(), "use old")
    photo = files.add("cat.png", png(), mime_type="image/png")
    _, outcome = await world.send(msg("what is this?", key=replace(DM, channel="C1"), is_dm=True, attachments=(photo,)))
    assert outcome.notices == (
        "Persona `old`'s model `gpt-3.5-turbo` doesn't take images: `cat.png` was not shown to it (an admin can set "
        "`vision=on` if it does).",
    )
    assert world.llm.requests[-1].messages[-1].images == () and files.asked == []

    local, local_files = world_with_files(vision=VisionPolicy(llm_takes_images=False))
    photo = local_files.add("cat.png", png(), mime_type="image/png")
    _, outcome = await local.send(msg("what is this?", attachments=(photo,)))
    assert outcome.kind is OutcomeKind.ANSWERED
    assert outcome.notices == ("The local model can't see images: `cat.png` was not shown to it.",)
    assert local.llm.requests[-1].messages[-1].content == "what is this?\n\n[Images attached: cat.png]"


async def test_image_count_limit():
    world, files = world_with_files(files=replace(SMALL, image_max_count=1))
    first, second = files.add("a.png", png(), mime_type="image/png"), files.add("b.gif", b"", mime_type="image/gif")
    _, outcome = await world.send(msg("compare", attachments=(first, second)))
    assert outcome.notices == ("`b.gif` was not shown to the model: at most 1 images go with one message.",)
    assert len(world.llm.requests[-1].messages[-1].images) == 1


async def test_file_text_passes_the_input_filters_like_the_message():
    world, files = world_with_files(filters=FilterDefaults(rules=(BlockRule("project falcon", source="settings"),)))
    secret = files.add("plan.txt", b"About Project Falcon.", mime_type="text/plain")
    _, blocked = await world.send(msg("summarise", attachments=(secret,)))
    assert blocked.kind is OutcomeKind.BLOCKED and world.llm.requests == []

    world, files = world_with_files()
    card = files.add("card.txt", b"card 4111 1111 1111 1111", mime_type="text/plain")
    await world.send(msg("check", attachments=(card,)))
    assert "4111" not in sent_text(world) and "4111" not in world.turns.contents(DM)[0][1]


async def test_without_a_fetcher_the_files_are_named_as_not_read():
    world = build_world()
    _, outcome = await world.send(msg("hi", attachments=(FakeFetcher().add("a.txt", b"x"),)))
    assert outcome.kind is OutcomeKind.ANSWERED
    assert outcome.notices == ("`a.txt` was not read: files can't be read here.",)


def actor_admin():
    from tests.core.conftest import actor

    return actor("U_OWNER", channel="C1", is_dm=True)


async def test_persona_vision_is_set_in_one_line_kept_by_a_form_without_it_and_checked():
    from tests.core.conftest import actor

    world, files = world_with_files()
    admin = actor("U_ADMIN", is_admin=True)
    run = world.core.commands.run
    refused = await run(admin, "persona", "create seer vision=maybe model=llava-13b You see.")
    assert not refused.ok and "vision must be auto, on or off" in refused.text
    assert (await run(admin, "persona", "create seer vision=on model=llava-13b You see.")).ok
    assert "vision on" in (await run(admin, "persona", "show seer")).text
    await world.core.personas.submit_form(admin, editing="seer", fields={"system_prompt": "You see more.",
                                                                         "model": "llava-13b"})
    assert (await world.core.personas.show(admin, "seer")).vision == "on"
    await run(admin, "persona", "use seer")
    photo = files.add("cat.webp", b"RIFF....WEBP", mime_type="image/webp")
    _, outcome = await world.send(msg("what is it?", key=replace(DM, channel="C1"), mentions_bot=True, attachments=(photo,)))
    assert outcome.notices == ("`cat.webp` was not read: it is not an image I can open.",)
    assert files.asked == [photo.ref]  # llava-13b is in no list, but vision=on sends its images
