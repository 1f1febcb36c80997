"""PII redaction: generated e-mails, valid card numbers and keys are always redacted; text without PII
passes unchanged; redacting twice changes nothing (hypothesis properties), plus worked examples."""

from __future__ import annotations

import base64
import os
import re
import string

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from core.filters.pii import PLACEHOLDERS, iban_valid, luhn_valid, redact_pii

# PARLEY_HYPOTHESIS_EXAMPLES=5000 for a deeper run by hand; the default keeps the suite fast.
FAST = settings(
    max_examples=int(os.environ.get("PARLEY_HYPOTHESIS_EXAMPLES", "150")), deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Words and short numbers that are not PII: letters, punctuation, and numbers of at most 4 digits.
words = st.one_of(
    st.text(alphabet=string.ascii_letters + "éßø'", min_size=1, max_size=12),
    st.integers(min_value=0, max_value=9999).map(str),
    st.sampled_from(["3.14", "v1.2.3", "2026-11-23", "12:30", "#42", "50%", "(see above)", "e.g.", "C++", "-"]),
)
PHONE_SHAPED = re.compile(r"\d[ .-]{1,2}\d{3}[ .-]{1,2}\d{3,4}|\d{3}[ .-]\d{4}")
separators = st.sampled_from([" ", "  ", "\n", ", ", ". ", "; ", " - ", "\t"])


@st.composite
def prose(draw, *, min_words: int = 0) -> str:
    chosen = draw(st.lists(words, min_size=min_words, max_size=30))
    out = ""
    for word in chosen:
        out += word + draw(separators)
    return out


def luhn_complete(body: str) -> str:
    """``body`` plus the check digit that makes it Luhn-valid."""
    for digit in "0123456789":
        if luhn_valid(body + digit):
            return body + digit
    raise AssertionError("unreachable")


@st.composite
def card_numbers(draw) -> str:
    prefix, length = draw(st.sampled_from([("4", 16), ("4", 13), ("51", 16), ("55", 16), ("2221", 16), ("34", 15),
                                           ("37", 15), ("6011", 16), ("35", 16), ("62", 19)]))
    body = prefix + "".join(draw(st.lists(st.sampled_from(string.digits), min_size=length - len(prefix) - 1,
                                          max_size=length - len(prefix) - 1)))
    number = luhn_complete(body)
    style = draw(st.sampled_from(["plain", "spaces", "dashes"]))
    if style == "plain":
        return number
    groups = [number[i:i + 4] for i in range(0, len(number), 4)]
    return (" " if style == "spaces" else "-").join(groups)


def _token(alphabet: str, low: int, high: int):
    return st.text(alphabet=alphabet, min_size=low, max_size=high)


ALNUM = string.ascii_letters + string.digits


@st.composite
def discord_tokens(draw) -> str:
    user_id = str(draw(st.integers(min_value=10**16, max_value=10**19 - 1)))
    first = base64.urlsafe_b64encode(user_id.encode()).decode().rstrip("=")
    return f"{first}.{draw(_token(ALNUM + '_-', 6, 6))}.{draw(_token(ALNUM + '_-', 27, 38))}"


secrets = st.one_of(
    _token(ALNUM, 20, 60).map(lambda s: "sk-" + s).map(lambda k: ("openai-key", k)),
    _token(ALNUM, 32, 60).map(lambda s: "sk-proj-" + s).map(lambda k: ("openai-key", k)),
    st.tuples(st.sampled_from(["xoxb", "xoxp", "xoxa", "xoxs"]), _token(string.digits, 10, 13),
              _token(ALNUM, 24, 24)).map(lambda t: ("slack-token", f"{t[0]}-{t[1]}-{t[2]}")),
    discord_tokens().map(lambda k: ("discord-token", k)),
    st.tuples(st.sampled_from(["ghp", "gho", "ghu", "ghs", "ghr"]), _token(ALNUM, 36, 36)).map(
        lambda t: ("github-token", f"{t[0]}_{t[1]}")),
    _token(string.ascii_uppercase + string.digits, 16, 16).map(lambda s: ("aws-key", "AKIA" + s)),
)


def embedded(before: str, secret: str, after: str) -> str:
    return f"{before} {secret} {after}"


@FAST
@given(before=prose(), email=st.emails(), after=prose())
def test_generated_email_addresses_are_always_redacted(before, email, after):
    result = redact_pii(embedded(before, email, after))
    assert email not in result.text and "@" + email.split("@", 1)[1] not in result.text
    assert PLACEHOLDERS["email"] in result.text and "email" in result.kinds


@FAST
@given(before=prose(), card=card_numbers(), after=prose())
def test_valid_card_numbers_are_always_redacted(before, card, after):
    result = redact_pii(embedded(before, card, after))
    digits = card.replace(" ", "").replace("-", "")
    assert card not in result.text and digits not in result.text.replace(" ", "").replace("-", "")
    assert PLACEHOLDERS["card"] in result.text


@FAST
@given(before=prose(), secret=secrets, after=prose())
def test_keys_and_tokens_are_always_redacted(before, secret, after):
    kind, value = secret
    result = redact_pii(embedded(before, value, after))
    assert value not in result.text
    assert PLACEHOLDERS[kind] in result.text and kind in result.kinds


@FAST
@given(text=prose())
def test_text_without_pii_passes_unchanged(text):
    # Short numbers side by side can spell a phone number ("555 123 4567" is one): that text has PII.
    assume(not PHONE_SHAPED.search(text))
    result = redact_pii(text)
    assert result.text == text and result.kinds == ()


@FAST
@given(parts=st.lists(st.one_of(prose(min_words=1), st.emails(), card_numbers(), secrets.map(lambda s: s[1])),
                      max_size=6))
def test_redaction_is_idempotent(parts):
    once = redact_pii(" ".join(parts)).text
    twice = redact_pii(once)
    assert twice.text == once and twice.kinds == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to ada.lovelace+notes@example.co.uk.", "write to [email]."),
        ("card 4111 1111 1111 1111, exp 12/27", "card [card], exp 12/27"),
        ("pay DE89 3704 0044 0532 0130 00 today", "pay [iban] today"),
        ("GB82WEST12345698765432", "[iban]"),
        ("ring +44 20 7946 0958 or (555) 123-4567 or 555-123-4567", "ring [phone] or [phone] or [phone]"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----\nthanks",
         "[private-key]\nthanks"),
        ("aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key=[secret]"),
    ],
)
def test_examples_get_typed_placeholders(text, expected):
    assert redact_pii(text).text == expected


@pytest.mark.parametrize(
    "text",
    [
        "card 4111 1111 1111 1112 fails Luhn",
        "DE89 3704 0044 0532 0130 01 fails mod 97",
        "on 2026-11-23 at 12:30 from 192.168.100.200, build 1234567, order 12345, pi 3.14159",
        "an id like 5551234567 without separators is not a phone",
    ],
)
def test_numbers_that_are_not_pii_are_left_alone(text):
    assert redact_pii(text).text == text


def test_the_checksums():
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert iban_valid("DE89 3704 0044 0532 0130 00") and not iban_valid("DE89 3704 0044 0532 0130 01")
