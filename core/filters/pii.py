"""PII redaction: e-mail addresses, phone numbers, payment cards, IBANs and secrets → typed placeholders.

Built-in, trusted patterns on the standard ``re`` engine, each written so
that it cannot backtrack badly (anchored starts, bounded repetition).
Numbers are checked before they are replaced: cards must pass Luhn, IBANs
the ISO 13616 mod-97 checksum, phone numbers must have 9–15 digits.  The
placeholders (``[email]``, ``[card]`` …) match none of the patterns, so
redacting twice changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from core.filters.normalise import normalise, replace_spans

# Secrets first (they contain digits and would otherwise be half-eaten by the number rules).
_PRIVATE_KEY = re.compile(
    r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY( BLOCK)?-----(?:.*?-----END [A-Z0-9 ]{0,40}PRIVATE KEY( BLOCK)?-----|.*)",
    re.DOTALL,
)
# Each pattern starts with a literal or a character class (the engine then skips ahead fast) and
# checks what comes before its first character with a lookbehind after it.
_OPENAI_KEY = re.compile(r"sk-(?<![\w-]sk-)(?:proj-|svcacct-|admin-|ant-)?[A-Za-z0-9_-]{20,}")
_SLACK_TOKEN = re.compile(r"x(?<![\w-]x)(?:ox[abposre]-[A-Za-z0-9-]{10,}|app-\d-[A-Za-z0-9-]{10,})")
_SLACK_WEBHOOK = re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]{20,}")
_DISCORD_TOKEN = re.compile(r"[MNO](?<![\w-].)[A-Za-z0-9_-]{22,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40}(?![\w-])")
_GITHUB_TOKEN = re.compile(r"g(?<![\w-]g)(?:h[pousr]_[A-Za-z0-9]{36,255}|ithub_pat_[A-Za-z0-9_]{22,255})(?![\w-])")
_AWS_ACCESS_KEY = re.compile(r"A(?<![A-Za-z0-9]A)(?:KIA|SIA|BIA|CCA)[A-Z0-9]{16}(?![A-Za-z0-9])")
_AWS_SECRET = re.compile(r"aws_secret_access_key(\s*[:=]\s*[\"']?)[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])", re.IGNORECASE)

_ATEXT = r"A-Za-z0-9!#$%&'*+/=?^_`{|}~\-"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(
    rf"[{_ATEXT}](?<![{_ATEXT}.].)(?:[{_ATEXT}.]{{0,63}})@(?:{_LABEL}\.)+[A-Za-z](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?"
)
_IBAN = re.compile(r"[A-Z](?<![A-Za-z0-9].)[A-Z]\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])")
_CARD = re.compile(r"[2-6](?<![\d.,-].)(?<![A-Z]{2}\d\d .)(?:[ -]?\d){12,18}(?![\d])")
_PHONE = re.compile(
    r"[+(\d](?<![\w+.-].)(?<!\d .)(?:"
    r"(?<=\+)\d{8,15}"  # +442079460958
    r"|(?<=\+)\d{1,3}(?:[ .-]?\(\d{1,4}\)[ .-]?\d{1,5})?(?:[ .-]\d{1,5}){1,5}"  # +44 20 7946 0958, +1 (555) 123-4567
    r"|(?<=\()\d{2,5}\)[ .-]?\d{3,4}[ .-]?\d{3,4}"  # (555) 123-4567
    r"|(?<=\d)\d{2}([-. ])\d{3}\1\d{4}"  # 555-123-4567
    r"|(?<=0)\d{2,4}[ -]\d{3,4}[ -]?\d{3,4}"  # 020 7946 0958
    r")(?![\w-])(?! \d)"
)

PLACEHOLDERS: dict[str, str] = {
    "private-key": "[private-key]",
    "openai-key": "[openai-key]",
    "slack-token": "[slack-token]",
    "discord-token": "[discord-token]",
    "github-token": "[github-token]",
    "aws-key": "[aws-key]",
    "secret": "[secret]",
    "email": "[email]",
    "iban": "[iban]",
    "card": "[card]",
    "phone": "[phone]",
}
KIND_NAMES: dict[str, str] = {
    "private-key": "a private key",
    "openai-key": "an OpenAI key",
    "slack-token": "a Slack token",
    "discord-token": "a Discord token",
    "github-token": "a GitHub token",
    "aws-key": "an AWS key",
    "secret": "a secret",
    "email": "an e-mail address",
    "iban": "an IBAN",
    "card": "a card number",
    "phone": "a phone number",
}


@dataclass(frozen=True, slots=True)
class Redacted:
    text: str
    kinds: tuple[str, ...] = ()  # what was replaced, each kind once, in detection order

    @property
    def changed(self) -> bool:
        return bool(self.kinds)


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    iban = candidate.replace(" ", "")
    if not 15 <= len(iban) <= 34:
        return False
    moved = iban[4:] + iban[:4]
    number = "".join(str(int(c, 36)) for c in moved)
    return int(number) % 97 == 1


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _card_length(candidate: str) -> int:
    """How much of ``candidate`` is a Luhn-valid card number: all of it, or a prefix ending before a separator."""
    while True:
        digits = _digits(candidate)
        if len(digits) < 13:
            return 0
        if len(digits) <= 19 and luhn_valid(digits):
            return len(candidate)
        cut = max(candidate.rfind(" "), candidate.rfind("-"))
        if cut <= 0:
            return 0
        candidate = candidate[:cut]


def _iban_length(candidate: str) -> int:
    """How much of ``candidate`` is a valid IBAN: all of it, or a prefix ending before a space."""
    while len(candidate.replace(" ", "")) >= 15:
        if iban_valid(candidate):
            return len(candidate)
        if " " not in candidate:
            return 0
        candidate = candidate[: candidate.rfind(" ")]
    return 0


def _phone_length(candidate: str) -> int:
    return len(candidate) if 9 <= len(_digits(candidate)) <= 15 else 0


def _scan(text: str, pattern: re.Pattern[str], valid_length: Callable[[str], int]) -> list[tuple[int, int]]:
    """The valid part of each candidate; after a partial or failed one, look again inside it.

    A run like "card 4111 1111 1111 1111 0" is first tried whole, then without its last group; what is
    left over (and a candidate that failed) is scanned again from its next group, so that redacting the
    result once more finds nothing new.
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    while (match := pattern.search(text, pos)) is not None:
        length = valid_length(match.group(0))
        if length:
            spans.append((match.start(), match.start() + length))
            pos = match.start() + length
            continue
        separator = re.search(r"[ -]", match.group(0))
        pos = match.start() + separator.end() if separator else match.end()
    return spans


def _whole(match: re.Match[str]) -> tuple[int, int]:
    return match.span()


def _aws_secret_value(match: re.Match[str]) -> tuple[int, int]:
    """Only the value: ``aws_secret_access_key = [secret]`` keeps its name."""
    return match.end(1), match.end()


_Span = Callable[[re.Match[str]], tuple[int, int]]
_DETECTORS: tuple[tuple[str, re.Pattern[str], str | None, _Span], ...] = (
    # kind, pattern, a substring the text must contain (cheap pre-check), the part of a match to replace
    ("private-key", _PRIVATE_KEY, "-----BEGIN", _whole),
    ("openai-key", _OPENAI_KEY, "sk-", _whole),
    ("slack-token", _SLACK_TOKEN, "x", _whole),
    ("slack-token", _SLACK_WEBHOOK, "hooks.slack.com", _whole),
    ("discord-token", _DISCORD_TOKEN, ".", _whole),
    ("github-token", _GITHUB_TOKEN, "_", _whole),
    ("aws-key", _AWS_ACCESS_KEY, "A", _whole),
    ("secret", _AWS_SECRET, None, _aws_secret_value),
    ("email", _EMAIL, "@", _whole),
)
_NUMBERS: tuple[tuple[str, re.Pattern[str], Callable[[str], int]], ...] = (
    ("iban", _IBAN, _iban_length),
    ("card", _CARD, _card_length),
    ("phone", _PHONE, _phone_length),
)
_FILLER = "\x00"  # what a found span becomes while the next detectors look: no pattern matches it


def find_pii(text: str) -> tuple[list[tuple[int, int, str]], tuple[str, ...]]:
    """Each detection as ``(start, end, placeholder)`` in ``text``, and the kinds found, in detection order.

    Detectors run in order (secrets first: they contain digits the number rules would half-eat); what one
    found is blanked out for the next ones, so positions stay those of ``text``.
    """
    spans: list[tuple[int, int, str]] = []
    kinds: list[str] = []

    def found(kind: str, found_spans: list[tuple[int, int]]) -> None:
        nonlocal text
        if not found_spans:
            return
        spans.extend((start, end, PLACEHOLDERS[kind]) for start, end in found_spans)
        text = replace_spans(text, ((start, end, _FILLER * (end - start)) for start, end in found_spans))
        if kind not in kinds:
            kinds.append(kind)

    for kind, pattern, needle, part in _DETECTORS:
        if needle is None or needle in text:
            found(kind, [part(match) for match in pattern.finditer(text)])
    if any(c.isdigit() for c in text):
        for kind, pattern, valid_length in _NUMBERS:
            found(kind, _scan(text, pattern, valid_length))
    return spans, tuple(kinds)


def redact_pii(text: str) -> Redacted:
    """Replace every detected e-mail, phone, card, IBAN and secret with its typed placeholder.

    Detection runs on the normalised copy (``normalise``: a zero-width space inside an address or a key
    does not hide it); the replacement is made on the original text's span.
    """
    copy = normalise(text)
    spans, kinds = find_pii(copy.text)
    if not spans:
        return Redacted(text=text)
    return Redacted(text=replace_spans(text, ((*copy.span(s, e), placeholder) for s, e, placeholder in spans)), kinds=kinds)


def describe_kinds(kinds: tuple[str, ...]) -> str:
    """``("email", "card")`` → "an e-mail address and a card number"."""
    names = [KIND_NAMES.get(k, k) for k in kinds]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
