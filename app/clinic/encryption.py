"""Webhook signing secrets at rest: encrypted with a key derived from ATTUNE_SECRET_KEY.

Sealed with `app.sealing` (Fernet under a key made by HKDF-SHA256 from the server's secret
key and this purpose), so a copy of the database alone does not let anyone sign events as
Attune. Stored as ``fernet:<token>``. Changing ATTUNE_SECRET_KEY makes stored
secrets unreadable: their events fail until an admin registers the webhook again.
"""

from __future__ import annotations

from app.sealing import InvalidToken, seal, unseal

PREFIX = "fernet:"
#: Binds the derived key to this one use: another use of ATTUNE_SECRET_KEY gets another key.
PURPOSE = "webhook-secrets"


class UnreadableSecret(Exception):
    """A stored secret that this server's key cannot decrypt (the key changed)."""


def encrypt_secret(secret_key: str, secret: str) -> str:
    """What is stored for a webhook secret."""
    return PREFIX + seal(secret_key, PURPOSE, secret.encode())


def decrypt_secret(secret_key: str, stored: str) -> str:
    """The webhook secret behind a stored value; UnreadableSecret if it cannot be read."""
    if not stored.startswith(PREFIX):
        raise UnreadableSecret("not an encrypted secret")
    try:
        return unseal(secret_key, PURPOSE, stored.removeprefix(PREFIX)).decode()
    except InvalidToken as error:
        raise UnreadableSecret("the secret key changed") from error


def is_encrypted(stored: str) -> bool:
    """Whether a stored value is already encrypted (the migration skips those)."""
    return stored.startswith(PREFIX)
