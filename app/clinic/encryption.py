"""Webhook signing secrets at rest: encrypted with a key derived from ATTUNE_SECRET_KEY.

Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`) under a key made by HKDF-SHA256
from the server's secret key, so a copy of the database alone does not let anyone sign
events as Attune. Stored as ``fernet:<token>``. Changing ATTUNE_SECRET_KEY makes stored
secrets unreadable: their events fail until an admin registers the webhook again.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "fernet:"
#: Binds the derived key to this one use: another use of ATTUNE_SECRET_KEY gets another key.
INFO = b"attune webhook secrets v1"


class UnreadableSecret(Exception):
    """A stored secret that this server's key cannot decrypt (the key changed)."""


def _fernet(secret_key: str) -> Fernet:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO)
    return Fernet(base64.urlsafe_b64encode(hkdf.derive(secret_key.encode())))


def encrypt_secret(secret_key: str, secret: str) -> str:
    """What is stored for a webhook secret."""
    return PREFIX + _fernet(secret_key).encrypt(secret.encode()).decode()


def decrypt_secret(secret_key: str, stored: str) -> str:
    """The webhook secret behind a stored value; UnreadableSecret if it cannot be read."""
    if not stored.startswith(PREFIX):
        raise UnreadableSecret("not an encrypted secret")
    try:
        return _fernet(secret_key).decrypt(stored.removeprefix(PREFIX).encode()).decode()
    except InvalidToken as error:
        raise UnreadableSecret("the secret key changed") from error


def is_encrypted(stored: str) -> bool:
    """Whether a stored value is already encrypted (the migration skips those)."""
    return stored.startswith(PREFIX)
