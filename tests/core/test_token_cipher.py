"""TokenCipher: what is stored is never the token; keys rotate (newest first, older ones still read)."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from core.token_cipher import CipherKeyInvalid, TokenCipher, TokenUnreadable, parse_keys

TOKEN = "xoxb-1111-2222-not-real"


def test_what_is_stored_is_not_the_token_and_reads_back():
    cipher = TokenCipher([Fernet.generate_key().decode()])
    stored = cipher.encrypt(TOKEN)
    assert TOKEN not in stored and stored != cipher.encrypt(TOKEN)  # a fresh IV each time
    assert cipher.decrypt(stored) == TOKEN
    assert cipher.encrypt(None) is None and cipher.decrypt(None) is None


def test_a_new_key_first_still_reads_what_the_old_one_wrote():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    written_before = TokenCipher([old]).encrypt(TOKEN)
    rotated = TokenCipher(parse_keys(f"{new}, {old}"))
    assert rotated.decrypt(written_before) == TOKEN
    assert TokenCipher([new]).decrypt(rotated.encrypt(TOKEN)) == TOKEN  # new values under the new key
    with pytest.raises(TokenUnreadable, match="no key"):
        TokenCipher([new]).decrypt(written_before)  # the old key removed too soon


def test_a_plain_value_is_never_taken_for_a_token():
    with pytest.raises(TokenUnreadable, match="not encrypted"):
        TokenCipher([Fernet.generate_key().decode()]).decrypt(TOKEN)


@pytest.mark.parametrize("setting", ["not-a-key", "a" * 44, f"{Fernet.generate_key().decode()},short"])
def test_a_setting_that_is_not_fernet_keys_says_how_to_make_one(setting):
    with pytest.raises(CipherKeyInvalid, match="Fernet.generate_key"):
        parse_keys(setting)
