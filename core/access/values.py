"""Access rules, summoning modes and their parsing: plain values, no I/O."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, field


class Effect(enum.StrEnum):
    ALLOW = "allow"
    DENY = "deny"


class Kind(enum.StrEnum):
    USER = "user"
    GROUP = "group"  # a Slack user group, a Discord role
    CHANNEL = "channel"


KIND_WORDS = {"user": Kind.USER, "group": Kind.GROUP, "role": Kind.GROUP, "channel": Kind.CHANNEL}
MAX_SUBJECT_CHARS = 128  # the access_rules.subject column
OPERATOR = "operator"  # the author of rules from the environment (ACCESS_*)


class SummonMode(enum.StrEnum):
    MENTION = "mention"  # answer mentions (and follow-ups in its threads)
    ALWAYS = "always"  # answer every top-level message, each in its own thread (a help channel)
    OFF = "off"  # ignore the channel (admin commands still work)


class ThreadMode(enum.StrEnum):
    AUTO = "auto"  # in a thread it takes part in, answer without a mention
    MENTION = "mention"  # in threads too, only when mentioned


@dataclass(frozen=True, slots=True)
class Summoning:
    mode: SummonMode = SummonMode.MENTION
    threads: ThreadMode = ThreadMode.AUTO


@dataclass(frozen=True, slots=True)
class AccessRule:
    effect: Effect
    kind: Kind
    subject: str  # a user, group/role or channel id
    author: str = ""  # who set it; OPERATOR for the environment's rules


@dataclass(frozen=True, slots=True)
class Sender:
    """Who is asking and where: what the rules look at."""

    user: str
    channel: str
    groups: frozenset[str] = frozenset()  # the sender's Slack user groups / Discord roles (those known)
    is_dm: bool = False


@dataclass(frozen=True, slots=True)
class AccessList:
    """A workspace's rules (the operator's and its admins'). A deny always wins. People: with any allowed
    user or group, only those may use it (empty: everyone). Places: with any allowed channel, only those
    (empty: every channel); a DM follows the people rules alone."""

    rules: tuple[AccessRule, ...] = ()

    def refusal(self, sender: Sender) -> str | None:
        """Why ``sender`` may not use it here (``user``, ``group``, ``channel``), or None when they may."""
        denied = self._subjects(Effect.DENY)
        if sender.user in denied[Kind.USER]:
            return "user"
        if sender.groups & denied[Kind.GROUP]:
            return "group"
        if not sender.is_dm and sender.channel in denied[Kind.CHANNEL]:
            return "channel"
        allowed = self._subjects(Effect.ALLOW)
        if (allowed[Kind.USER] or allowed[Kind.GROUP]) and not (
            sender.user in allowed[Kind.USER] or sender.groups & allowed[Kind.GROUP]
        ):
            return "user"
        if not sender.is_dm and allowed[Kind.CHANNEL] and sender.channel not in allowed[Kind.CHANNEL]:
            return "channel"
        return None

    def groups(self) -> frozenset[str]:
        """Every group or role a rule names: the only ones an adapter need look up for a sender."""
        return frozenset(rule.subject for rule in self.rules if rule.kind is Kind.GROUP)

    def _subjects(self, effect: Effect) -> dict[Kind, frozenset[str]]:
        return {
            kind: frozenset(r.subject for r in self.rules if r.effect is effect and r.kind is kind) for kind in Kind
        }


@dataclass(frozen=True, slots=True)
class AccessDefaults:
    """The operator's rules (ACCESS_ALLOW_USERS … in the environment), in every workspace, and the summoning
    mode of a channel no admin has set (SUMMON_DEFAULT)."""

    rules: tuple[AccessRule, ...] = ()
    summoning: Summoning = field(default_factory=Summoning)

    @classmethod
    def of(cls, lists: dict[tuple[Effect, Kind], Iterable[str]], *, summon: SummonMode) -> "AccessDefaults":
        rules = tuple(
            AccessRule(effect, kind, subject, author=OPERATOR)
            for (effect, kind), subjects in lists.items() for subject in sorted(set(subjects))
        )
        return cls(rules=rules, summoning=Summoning(mode=summon))


# Ids as people type or paste them: a plain id, or a platform's mention markup.
_SLACK_USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_SLACK_GROUP = re.compile(r"^<!subteam\^([A-Z0-9]+)(?:\|[^>]*)?>$")
_SLACK_CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")
_DISCORD_USER = re.compile(r"^<@!?(\d{1,20})>$")
_DISCORD_ROLE = re.compile(r"^<@&(\d{1,20})>$")
_DISCORD_CHANNEL = re.compile(r"^<#(\d{1,20})>$")
_PLAIN_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
_MARKUP = {
    Kind.USER: (_SLACK_USER, _DISCORD_USER),
    Kind.GROUP: (_SLACK_GROUP, _DISCORD_ROLE),
    Kind.CHANNEL: (_SLACK_CHANNEL, _DISCORD_CHANNEL),
}


class SubjectInvalid(ValueError):
    pass


def parse_subject(kind: Kind, text: str) -> str:
    """The id in ``text`` (a plain id, or a mention of the right kind); raises SubjectInvalid."""
    text = text.strip()
    for pattern in _MARKUP[kind]:
        if match := pattern.match(text):
            return match.group(1)
    if text.startswith("<") or not _PLAIN_ID.match(text):
        raise SubjectInvalid(f"`{text[:60]}` is not a {kind.value} id or mention")
    return text


def parse_kind(word: str) -> Kind | None:
    return KIND_WORDS.get(word.strip().lower())


def shown(kind: Kind, subject: str, *, platform: str) -> str:
    """A rule's subject as the platform shows it (a mention that does not ping in a private reply)."""
    if platform == "slack":
        return {Kind.USER: f"<@{subject}>", Kind.GROUP: f"`{subject}`", Kind.CHANNEL: f"<#{subject}>"}[kind]
    if platform == "discord" and subject.isdigit():
        return {Kind.USER: f"<@{subject}>", Kind.GROUP: f"<@&{subject}>", Kind.CHANNEL: f"<#{subject}>"}[kind]
    return f"`{subject}`"


def kind_name(kind: Kind, *, platform: str) -> str:
    if kind is Kind.GROUP:
        return "role" if platform == "discord" else "group"
    return kind.value
