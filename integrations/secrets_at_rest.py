"""Secrets stored in our database (Slack installation tokens) are encrypted with Fernet keys from SWARM_SECRET_KEYS.

SWARM_SECRET_KEYS is a comma-separated list: the first key encrypts, every key decrypts. To rotate: put a new key
first, restart, run `swarm rotate-keys` (re-encrypts every stored secret with the first key), then drop the old key.
A database dump alone therefore never reveals a token; the keys live with the deployment's other secrets.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Table, Text, select, type_coerce, update
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator


class SecretKeyError(ValueError):
    """SWARM_SECRET_KEYS is missing, malformed, or lacks the key a stored secret was encrypted with."""


class Keyring:
    """Fernet keys in order of preference: the first encrypts, all decrypt."""

    def __init__(self, keys: Sequence[str]):
        if not keys:
            raise SecretKeyError("SWARM_SECRET_KEYS is empty: generate a key with "
                                 "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`")
        self._fernets = [_fernet(key, position) for position, key in enumerate(keys, start=1)]
        self._multi = MultiFernet(self._fernets)

    @classmethod
    def from_setting(cls, value: object) -> "Keyring":
        """From the setting's value (a str or a SecretStr): comma-separated keys, blanks ignored."""
        raw = value.get_secret_value() if hasattr(value, "get_secret_value") else str(value or "")
        return cls([key.strip() for key in raw.split(",") if key.strip()])

    def encrypt(self, plaintext: str) -> str:
        return self._multi.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._multi.decrypt(ciphertext.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeEncodeError) as exc:
            raise SecretKeyError("a stored secret cannot be decrypted with any key in SWARM_SECRET_KEYS "
                                 "(was the key it was encrypted with removed before `swarm rotate-keys` ran?)") from exc

    def rotate(self, ciphertext: str) -> str:
        """The same secret, encrypted with the first key (unchanged plaintext, new ciphertext)."""
        try:
            return self._multi.rotate(ciphertext.encode("ascii")).decode("ascii")
        except InvalidToken as exc:
            raise SecretKeyError("a stored secret cannot be decrypted with any key in SWARM_SECRET_KEYS") from exc

    def encrypted_with_first_key(self, ciphertext: str) -> bool:
        try:
            self._fernets[0].decrypt(ciphertext.encode("ascii"))
            return True
        except InvalidToken:
            return False


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


def _fernet(key: str, position: int) -> Fernet:
    try:
        return Fernet(key.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        # Never echo the key itself: this message reaches logs.
        raise SecretKeyError(f"key #{position} in SWARM_SECRET_KEYS is not a Fernet key "
                             "(32 url-safe base64-encoded bytes, 44 characters)") from exc


class EncryptedText(TypeDecorator):
    """A text column whose values are Fernet-encrypted on the way in and decrypted on the way out."""

    impl = Text
    cache_ok = True

    def __init__(self, keyring: Keyring):
        super().__init__()
        self.keyring = keyring

    def process_bind_param(self, value, dialect):
        return None if value is None else self.keyring.encrypt(str(value))

    def process_result_value(self, value, dialect):
        return None if value is None else self.keyring.decrypt(value)


def reencrypt_columns(engine: Engine, table: Table, columns: Iterable[str], keyring: Keyring) -> int:
    """Re-encrypt every stored value of `columns` with the first key; returns how many values changed.

    Works on the raw ciphertext (type_coerce to Text skips EncryptedText both ways), in one transaction, so a
    failure leaves every row as it was."""
    names = list(columns)
    key_column = list(table.primary_key.columns)[0]
    stored = [type_coerce(table.c[name], Text).label(name) for name in names]
    changed = 0
    with engine.begin() as conn:
        for row in conn.execute(select(key_column, *stored)).all():
            values = {name: type_coerce(keyring.rotate(value), Text) for name, value in zip(names, row[1:])
                      if value is not None and not keyring.encrypted_with_first_key(value)}
            if values:
                conn.execute(update(table).where(key_column == row[0]).values(**values))
                changed += len(values)
    return changed
