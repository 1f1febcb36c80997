"""Logs: secrets masked in every event, message text never at INFO."""

from __future__ import annotations

import io
import json

import structlog

from core.log import configure_logging, mask_secrets_in
from tests.core.conftest import build_world, msg

FAKE_SECRETS = [
    "sk-proj-" + "a1B2" * 10,
    "xoxb-1234567890-0987654321-" + "Ab" * 12,
    "xapp-1-A0123456789-1234567890123-" + "f0" * 16,
    "MTA" + "x" * 21 + ".GqZ1ab." + "y" * 38,
]


def test_each_kind_of_secret_is_masked():
    for secret in FAKE_SECRETS:
        masked = mask_secrets_in(f"token is {secret} ok")
        assert secret not in masked and "***" in masked
    assert "***" in mask_secrets_in("Authorization: Bearer abcdefghijklmnop")
    assert mask_secrets_in("nothing secret here") == "nothing secret here"


def _json_lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_secrets_are_masked_in_every_event_and_in_library_logs():
    import logging

    stream = io.StringIO()
    configure_logging(log_format="json", level="INFO", stream=stream)
    try:
        structlog.get_logger("core.test").info("llm.request", detail=f"key {FAKE_SECRETS[0]}", headers={"Authorization": "Bearer zzzzzzzzzz"})
        logging.getLogger("some.library").warning("token=%s", FAKE_SECRETS[1])
        output = stream.getvalue()
        assert all(secret not in output for secret in FAKE_SECRETS)
        assert "zzzzzzzzzz" not in output
        event = _json_lines(stream)[0]
        assert event["event"] == "llm.request" and event["level"] == "info"
    finally:
        structlog.reset_defaults()


async def test_a_conversation_logs_context_but_never_the_message_text():
    stream = io.StringIO()
    configure_logging(log_format="json", level="INFO", stream=stream)
    try:
        world = build_world()
        await world.send(msg("the secret plan is purple-elephant-42"))
        events = _json_lines(stream)
        sent = [e for e in events if e["event"] == "reply.sent"]
        assert sent and sent[0]["platform"] == "slack" and sent[0]["channel"] == "D1" and sent[0]["event_id"]
        assert "purple-elephant-42" not in stream.getvalue()
    finally:
        structlog.reset_defaults()


def test_each_kind_of_secret_is_masked_wherever_it_sits_and_plain_text_is_left_alone():
    from core.log import mask_secrets_in

    secrets = ["sk-proj-abcdefghijklmnop1234", "xoxb-1234-5678-abcdefgh", "xapp-1-A0123-abcdefgh",
               "MTIzNDU2Nzg5MDEyMzQ1Njc4.GAbcde.abcdefghijklmnopqrstuvwxyz0123", "Bearer abc.def-ghi", "bot ABCDEFGH"]
    for secret in secrets:
        assert mask_secrets_in(f"before {secret} after") == "before *** after", secret
    plain = "a question about the weather, and a bot that answers"
    assert mask_secrets_in(plain) is plain and mask_secrets_in("sk-short") == "sk-short"
