"""Pseudonym derivation: known-answer vectors, and keys that keep people and scopes apart.

Pure unit tests (no database): `make mutate` runs them against mutants of
app/research/pseudonyms.py. The vectors were computed once with Python's `hmac` from the
formulas the README publishes, not with this module:

    study key  = HMAC-SHA256(secret, b"study:" + study_id.bytes)
    person     = HMAC-SHA256(key, b"person:" + respondent_id.bytes), first 32 hex characters
    assessment = HMAC-SHA256(key, b"assessment:" + assessment_id.bytes), first 32 hex
"""

from __future__ import annotations

import re
import uuid

from hypothesis import assume, given
from hypothesis import strategies as st

from app.research.pseudonyms import PSEUDONYM_LENGTH, Pseudonymizer, request_key, study_key

SECRET = "known-answer-secret-0123456789abcdef"
STUDY = uuid.UUID("00000000-0000-4000-8000-000000000001")
PERSON = uuid.UUID("11111111-1111-4111-8111-111111111111")
ASSESSMENT = uuid.UUID("22222222-2222-4222-8222-222222222222")
FIXED_KEY = bytes(range(32))
HEX32 = re.compile(r"[0-9a-f]{32}")

keys = st.binary(min_size=16, max_size=64)
ids = st.uuids()


def test_study_key_known_answer() -> None:
    assert study_key(SECRET, STUDY).hex() == (
        "c9183b4da430056310af2c877c10c94c71b4f196ea4927382b6b437710513473"
    )


def test_pseudonyms_under_a_study_key_known_answer() -> None:
    pseudonyms = Pseudonymizer(study_key(SECRET, STUDY))
    assert pseudonyms.person(PERSON) == "d29a17998c3c2d9121ec25b030e074d9"
    assert pseudonyms.assessment(ASSESSMENT) == "1b3f46551850149d68d0496597c01495"


def test_person_and_assessment_keys_use_different_prefixes() -> None:
    # The same id as a person and as an assessment: the prefixes alone tell them apart.
    pseudonyms = Pseudonymizer(FIXED_KEY)
    assert pseudonyms.person(PERSON) == "584a6aac33c3efc54ed26c066bcef2c8"
    assert pseudonyms.assessment(PERSON) == "906689e29c88a855a405e5e2ae2850b0"


@given(key=keys, value=ids)
def test_a_person_never_shares_a_pseudonym_with_an_assessment(key: bytes, value: uuid.UUID) -> None:
    pseudonyms = Pseudonymizer(key)
    assert pseudonyms.person(value) != pseudonyms.assessment(value)


@given(key=keys, value=ids)
def test_pseudonyms_are_32_hex_characters_and_stable(key: bytes, value: uuid.UUID) -> None:
    assert PSEUDONYM_LENGTH == 32
    first, again = Pseudonymizer(key), Pseudonymizer(key)
    for name in (first.person(value), first.assessment(value)):
        assert HEX32.fullmatch(name)
    # Copying the keyed HMAC must not leak state from one call into the next.
    assert first.person(value) == first.person(value) == again.person(value)
    assert first.assessment(value) == again.assessment(value)


@given(key=keys, other=keys, value=ids)
def test_another_key_gives_other_pseudonyms(key: bytes, other: bytes, value: uuid.UUID) -> None:
    assume(key != other)
    assert Pseudonymizer(key).person(value) != Pseudonymizer(other).person(value)
    assert Pseudonymizer(key).assessment(value) != Pseudonymizer(other).assessment(value)


@given(secret=st.text(min_size=32), other=st.text(min_size=32), study=ids)
def test_a_study_key_depends_on_the_server_secret(
    secret: str, other: str, study: uuid.UUID
) -> None:
    assume(secret != other)
    assert study_key(secret, study) != study_key(other, study)


@given(study=ids, other=ids)
def test_each_study_has_its_own_key(study: uuid.UUID, other: uuid.UUID) -> None:
    assume(study != other)
    assert study_key(SECRET, study) != study_key(SECRET, other)


def test_a_study_key_is_not_the_raw_secret_or_the_study_id() -> None:
    key = study_key(SECRET, STUDY)
    assert len(key) == 32
    assert SECRET.encode() not in key
    assert STUDY.bytes not in key


def test_request_keys_are_fresh_random_32_bytes() -> None:
    drawn = {request_key() for _ in range(20)}
    assert len(drawn) == 20
    assert {len(key) for key in drawn} == {32}
