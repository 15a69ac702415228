"""A spy on the real argon2 hasher: what was verified, so equal work can be asserted exactly.

Login time must not tell whether an account exists. Rather than time logins (noisy on a busy
machine), the tests check that every failed login verifies one argon2 hash made with today's
parameters: argon2's cost depends on those parameters, not on the password or the account.
"""

from __future__ import annotations

from argon2 import PasswordHasher


class CountingHasher(PasswordHasher):
    """The real hasher, recording every hash it verifies against."""

    def __init__(self) -> None:
        super().__init__()
        self.verified: list[str] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verified.append(str(hash))
        return super().verify(hash, password)


def parameters(hashed: str) -> list[str]:
    """Algorithm, version and cost of an argon2 hash: what its verification time depends on."""
    return hashed.split("$")[1:4]
