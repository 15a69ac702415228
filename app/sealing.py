"""Sealing: small secrets encrypted at rest under a key derived from ATTUNE_SECRET_KEY.

Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`) under a key made with HKDF-SHA256
from the server secret and a purpose, so keys for different purposes never coincide and a
database dump alone opens nothing. Changing ATTUNE_SECRET_KEY makes sealed values unreadable.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["InvalidToken", "seal", "unseal"]


@lru_cache(maxsize=16)
def _fernet(secret_key: str, purpose: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"attune:{purpose}".encode()
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret_key: str, purpose: str, plaintext: bytes) -> str:
    """The encrypted, authenticated form of `plaintext`, as text for a column."""
    return _fernet(secret_key, purpose).encrypt(plaintext).decode()


def unseal(secret_key: str, purpose: str, sealed: str) -> bytes:
    """The plaintext; InvalidToken when altered, or sealed under another key or purpose."""
    return _fernet(secret_key, purpose).decrypt(sealed.encode())
