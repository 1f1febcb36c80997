"""Secrets stored so that a database dump alone does not reveal them: Fernet (AES-128-CBC + HMAC-SHA256).

The keys come from the environment (SLACK_TOKEN_ENCRYPTION_KEY), never from
the database.  Several keys, comma-separated, newest first, rotate without a
flag day: the first encrypts, any of them decrypts (``MultiFernet``), and
``rotate`` re-encrypts a stored value under the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType

ENCRYPTED_PREFIX = "fernet:"  # marks an encrypted value, so a plain one is never mistaken for ciphertext


class CipherKeyInvalid(ValueError):
    """A key that is not a Fernet key; the message says how to make one."""


class TokenUnreadable(Exception):
    """A stored value that none of the keys decrypts (a key was removed or changed)."""


HOW_TO_MAKE_A_KEY = (
    'must be one or more Fernet keys, comma-separated, newest first; make one with: python -c '
    '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


def _fernet() -> ModuleType:
    """cryptography's Fernet, loaded by the processes that keep tokens (Slack in OAuth mode) and no other:
    about 8 MiB of memory."""
    from cryptography import fernet

    return fernet


def parse_keys(text: str) -> tuple[str, ...]:
    """The keys in a comma-separated setting, each checked; raises CipherKeyInvalid."""
    keys = tuple(part.strip() for part in text.split(",") if part.strip())
    for key in keys:
        try:
            _fernet().Fernet(key.encode())
        except (ValueError, TypeError):
            raise CipherKeyInvalid(HOW_TO_MAKE_A_KEY) from None
    return keys


class TokenCipher:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise CipherKeyInvalid(HOW_TO_MAKE_A_KEY)
        fernet = _fernet()
        self._fernet = fernet.MultiFernet([fernet.Fernet(key.encode()) for key in keys])
        self._invalid = fernet.InvalidToken

    def encrypt(self, value: str | None) -> str | None:
        if value is None:
            return None
        return ENCRYPTED_PREFIX + self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, stored: str | None) -> str | None:
        if stored is None:
            return None
        if not stored.startswith(ENCRYPTED_PREFIX):
            raise TokenUnreadable("a stored token is not encrypted")
        try:
            return self._fernet.decrypt(stored.removeprefix(ENCRYPTED_PREFIX).encode()).decode()
        except self._invalid:
            raise TokenUnreadable("no key in SLACK_TOKEN_ENCRYPTION_KEY decrypts a stored token") from None
