"""Pseudonyms: HMAC-SHA256 of internal ids under a key that never leaves the server.

A per-request key (the default) makes two exports unlinkable; a study key, derived from the
server secret and the study id, keeps pseudonyms stable across a study's exports. Person and
assessment keys use distinct prefixes, so one can never equal the other.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid

PSEUDONYM_LENGTH = 32  # hex characters: 128 bits, far beyond any collision in one export


def study_key(secret_key: str, study_id: uuid.UUID) -> bytes:
    """The pseudonym key of a study: HMAC-SHA256(secret_key, b"study:" + study id bytes)."""
    return hmac.new(secret_key.encode(), b"study:" + study_id.bytes, hashlib.sha256).digest()


def request_key() -> bytes:
    """A fresh random key for one export, forgotten when the export ends."""
    return secrets.token_bytes(32)


class Pseudonymizer:
    """Turns person and assessment ids into keyed pseudonyms (hex, 32 characters)."""

    def __init__(self, key: bytes) -> None:
        # Copying a keyed HMAC skips re-deriving the key pads: ~2x faster on the export's hot path.
        self._person = hmac.new(key, b"person:", hashlib.sha256)
        self._assessment = hmac.new(key, b"assessment:", hashlib.sha256)

    def person(self, respondent_id: uuid.UUID) -> str:
        """The pseudonym of a person (a respondent)."""
        return _keyed(self._person, respondent_id)

    def assessment(self, assessment_id: uuid.UUID) -> str:
        """The pseudonym of an assessment."""
        return _keyed(self._assessment, assessment_id)


def _keyed(base: hmac.HMAC, value: uuid.UUID) -> str:
    mac = base.copy()
    mac.update(value.bytes)
    return mac.hexdigest()[:PSEUDONYM_LENGTH]
