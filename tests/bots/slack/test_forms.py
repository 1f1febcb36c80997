"""The persona modal's view and its error mapping (pure)."""

from __future__ import annotations

from bots.slack.forms import FormContext, field_errors, fits_in_form, persona_view, submitted_fields
from bots.slack.render import with_footer
from core.personas.values import FieldError, Persona, PersonaInvalid


def test_errors_land_on_the_block_of_their_field_and_the_name_error_of_an_edit_on_the_prompt():
    invalid = PersonaInvalid([
        FieldError("temperature", "must be between 0 and 2"),
        FieldError("name", "use 1–32 characters"),
        FieldError("max_tokens", "must be a whole number"),
    ])
    assert field_errors(invalid, editing=False) == {
        "temperature": "Must be between 0 and 2.",
        "name": "Use 1–32 characters.",
        "max_tokens": "Must be a whole number.",
    }
    editing = field_errors(invalid, editing=True)
    assert set(editing) == {"temperature", "system_prompt", "max_tokens"}
    assert editing["system_prompt"] == "Name: use 1–32 characters."


def test_submitted_fields_keep_only_what_was_filled_in():
    values = {
        "name": {"value": {"type": "plain_text_input", "value": "pirate"}},
        "model": {"value": {"type": "plain_text_input", "value": None}},
        "temperature": {"value": {"type": "plain_text_input", "value": "  "}},
        "max_tokens": {"value": {"type": "plain_text_input", "value": "500"}},
    }
    assert submitted_fields(values) == {"name": "pirate", "max_tokens": "500"}


def test_the_context_round_trips_through_private_metadata():
    context = FormContext(channel="C1", is_dm=False, editing="pirate")
    assert FormContext.decode(context.encode()) == context
    view = persona_view(Persona("pirate", "Arr.", "gpt-4o-mini"), context=context)
    assert FormContext.decode(view["private_metadata"]) == context


def test_a_prompt_longer_than_a_slack_input_cannot_be_edited_in_the_form():
    assert fits_in_form(None) and fits_in_form(Persona("p", "x" * 3_000, "m"))
    assert not fits_in_form(Persona("p", "x" * 3_001, "m"))


def test_notices_become_an_italic_footer_line():
    assert with_footer("answer", ()) == "answer"
    assert with_footer("answer", ("older messages were summarised", "")) == (
        "answer\n\n_older messages were summarised_"
    )

