"""Fuzzing every operation of the OpenAPI schema, as every kind of caller.

schemathesis generates requests, valid and invalid, from the app's own schema; each response
must not be a 5xx and must conform to the schema: a declared status code, the declared content
type, a body and headers that match. Every operation runs as each kind of caller, on both
databases. CI runs FUZZ_EXAMPLES per operation and caller, derandomized so that a failure
reproduces; `make fuzz` runs many more (ATTUNE_FUZZ_EXAMPLES, and ATTUNE_FUZZ_RANDOM=1).

schemathesis's own pytest integration (`from_fixture`) does not run under pytest 9, so each
operation is a Hypothesis test over `operation.as_strategy()`, reported as a subtest.
"""

from __future__ import annotations

import os

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.config import Settings
from app.main import create_app
from tests.security.conftest import FUZZ_BASE_URL, FUZZ_SENT, Caller

FUZZ_EXAMPLES = int(os.environ.get("ATTUNE_FUZZ_EXAMPLES", "5"))
FUZZ_SETTINGS = settings(
    max_examples=FUZZ_EXAMPLES,
    derandomize=os.environ.get("ATTUNE_FUZZ_RANDOM") != "1",
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
#: Operations that end the caller's token: fuzzed last, so the others run with a live one.
ENDS_TOKEN = {"POST /v1/auth/logout", "DELETE /v1/me"}

#: The app's schema, made without starting the app; the requests go to a started one.
SCHEMA = schemathesis.openapi.from_dict(
    create_app(Settings(environment="test", database_url="sqlite+aiosqlite://")).openapi()
)
OPERATIONS = sorted(
    (result.ok() for result in SCHEMA.get_all_operations()),
    key=lambda operation: operation.label in ENDS_TOKEN,
)


def cases(
    operation: schemathesis.APIOperation, ids: dict[str, str]
) -> st.SearchStrategy[schemathesis.Case]:
    """Valid and invalid requests; also valid ones naming the caller's real objects."""
    strategies = [
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    ]
    names = [parameter.name for parameter in operation.path_parameters]
    if names and all(name in ids for name in names):
        real = {name: ids[name] for name in names}
        strategies.append(operation.as_strategy(path_parameters=real))
    return st.one_of(strategies)


def fuzz(operation: schemathesis.APIOperation, caller: Caller, session: requests.Session) -> int:
    """Send the operation's generated requests as the caller; how many were sent."""
    sent = 0

    @FUZZ_SETTINGS
    @given(case=cases(operation, caller.ids))
    def run(case: schemathesis.Case) -> None:
        nonlocal sent
        sent += 1
        response = case.call(base_url=FUZZ_BASE_URL, session=session, headers=caller.headers)
        case.validate_response(response, checks=CHECKS)

    run()
    return sent


def test_every_operation_conforms(
    caller: Caller,
    fuzzed: requests.Session,
    database_url: str,
    subtests: pytest.Subtests,
) -> None:
    for operation in OPERATIONS:
        with subtests.test(msg=f"{operation.label} as {caller.role}"):
            FUZZ_SENT[database_url.split(":")[0].split("+")[0]] += fuzz(operation, caller, fuzzed)
