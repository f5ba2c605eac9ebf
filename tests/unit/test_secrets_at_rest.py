"""Secrets at rest: what a database dump shows (ciphertext only), key rotation, and errors that name the fix."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Text, create_engine, select, type_coerce

from integrations.secrets_at_rest import EncryptedText, Keyring, SecretKeyError, generate_key, reencrypt_columns

TOKEN = "xoxb-1234-5678-secretvalue"


@pytest.fixture
def keys() -> tuple[str, str]:
    return generate_key(), generate_key()


def _table(keyring: Keyring) -> tuple[object, Table]:
    engine = create_engine("sqlite://")
    table = Table("secrets", MetaData(), Column("id", Integer, primary_key=True), Column("token", EncryptedText(keyring)),
                  Column("other", EncryptedText(keyring)))
    table.metadata.create_all(engine)
    return engine, table


def _stored(engine, table) -> list[str | None]:
    """What a database dump would show."""
    with engine.connect() as conn:
        return list(conn.scalars(select(type_coerce(table.c.token, Text)).order_by(table.c.id)))


def test_a_value_is_stored_as_ciphertext_and_read_back_as_plaintext(keys):
    engine, table = _table(Keyring([keys[0]]))
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"id": 1, "token": TOKEN}, {"id": 2, "token": None}])
        assert list(conn.scalars(select(table.c.token).order_by(table.c.id))) == [TOKEN, None]
    stored = _stored(engine, table)
    assert TOKEN not in stored[0] and stored[0].startswith("gAAAA") and stored[1] is None


def test_the_same_value_encrypts_differently_each_time(keys):
    keyring = Keyring([keys[0]])
    assert keyring.encrypt(TOKEN) != keyring.encrypt(TOKEN)


def test_rotation_new_key_first_reencrypts_and_the_old_key_can_then_go(keys):
    old, new = keys
    engine, table = _table(Keyring([old]))
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"id": 1, "token": TOKEN, "other": "webhook"}, {"id": 2, "token": "xoxb-2", "other": None}])
    before = _stored(engine, table)

    rotating = Keyring([new, old])
    assert reencrypt_columns(engine, table, ["token", "other"], rotating) == 3
    assert reencrypt_columns(engine, table, ["token", "other"], rotating) == 0  # idempotent: already on the new key
    after = _stored(engine, table)
    assert all(a != b for a, b in zip(after, before))

    only_new = Keyring([new])
    assert [only_new.decrypt(v) for v in after] == [TOKEN, "xoxb-2"]
    with pytest.raises(SecretKeyError, match="cannot be decrypted"):
        Keyring([old]).decrypt(after[0])


def test_a_value_from_a_removed_key_fails_with_a_reason_not_garbage(keys):
    ciphertext = Keyring([keys[0]]).encrypt(TOKEN)
    with pytest.raises(SecretKeyError, match="rotate-keys"):
        Keyring([keys[1]]).decrypt(ciphertext)


@pytest.mark.parametrize("setting, problem", [
    ("", "empty"),
    (" , ", "empty"),
    ("not-a-key", "key #1 .* not a Fernet key"),
    ("{good},short", "key #2 .* not a Fernet key"),
])
def test_bad_settings_fail_fast_without_echoing_the_key(setting, problem, keys):
    value = setting.replace("{good}", keys[0])
    with pytest.raises(SecretKeyError, match=problem) as error:
        Keyring.from_setting(value)
    assert "not-a-key" not in str(error.value) and "short" not in str(error.value)


def test_the_setting_may_be_a_secretstr_with_spaces(keys):
    from pydantic import SecretStr

    keyring = Keyring.from_setting(SecretStr(f" {keys[0]} , {keys[1]} "))
    assert Keyring([keys[1]]).decrypt(Keyring([keys[1]]).encrypt("x")) == "x"
    assert Keyring([keys[0]]).decrypt(keyring.encrypt(TOKEN)) == TOKEN  # the first key encrypts
