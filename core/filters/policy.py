"""What a workspace's filters do: the settings' defaults, the workspace's own choices, and the two merged."""

from __future__ import annotations

from dataclasses import dataclass

from core.filters.values import MODES, BlockRule, FilterPolicy


@dataclass(frozen=True, slots=True)
class FilterDefaults:
    """From the settings: PII_REDACTION, BLOCKLIST_ACTION, MODERATION_ENABLED/ACTION, BLOCKLIST, *_FAILURE."""

    pii: str = "redact"
    blocklist: str = "block"
    moderation: str = "block"  # "off" when MODERATION_ENABLED=false
    moderation_action: str = "block"  # what `/parley filter set moderation on` turns it to
    rules: tuple[BlockRule, ...] = ()
    input_failure: str = "open"  # open | closed: an existing endpoint that errs on a message
    output_failure: str = "closed"  # ... on an answer
    blocklist_timeout: str = "closed"  # open | closed: a blocking rule that ran out of time (BLOCKLIST_TIMEOUT_FAILURE)


@dataclass(frozen=True, slots=True)
class EffectivePolicy:
    pii: str
    blocklist: str
    moderation: str
    overridden: frozenset[str] = frozenset()  # the filters this workspace set itself

    def mode(self, name: str) -> str:
        return getattr(self, name)


def effective(policy: FilterPolicy, defaults: FilterDefaults) -> EffectivePolicy:
    return EffectivePolicy(
        pii=policy.pii or defaults.pii,
        blocklist=policy.blocklist or defaults.blocklist,
        moderation=policy.moderation or defaults.moderation,
        overridden=frozenset(name for name in MODES if policy.mode(name) is not None),
    )


def mode_for(name: str, value: str, defaults: FilterDefaults) -> str:
    """``on``/``off``/an action → the mode to store for filter ``name``; raises ValueError with the usage."""
    value = value.lower()
    allowed = MODES[name]
    if value == "on":
        return {"pii": "redact", "blocklist": defaults.blocklist if defaults.blocklist != "off" else "block",
                "moderation": defaults.moderation_action}[name]
    if value not in allowed:
        raise ValueError(f"`{name}` can be " + ", ".join(f"`{v}`" for v in ("on", *allowed)) + ".")
    return value
