"""Fixtures for the scoring tests: a definition factory, the concepts and support content."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.questionnaires.content import Concepts, Support
from app.questionnaires.model import Definition
from app.scoring.plan import clear_plans
from tests.scoring.builders import make_concepts, make_definition, make_support


@pytest.fixture(autouse=True)
def cold_plans() -> None:
    """Every test compiles the definitions it scores: the plan cache would otherwise hide the
    compiler from all but the first test to use a definition (and from mutation testing)."""
    clear_plans()


@pytest.fixture
def definition_factory() -> Callable[..., Definition]:
    """Build a validated definition from inline items and scales."""

    def build(**kwargs: Any) -> Definition:
        return make_definition(**kwargs)

    return build


@pytest.fixture(scope="session")
def concepts() -> Concepts:
    """Every concept with English and Spanish text."""
    return make_concepts()


@pytest.fixture(scope="session")
def support() -> Support:
    """Support content in English and Spanish."""
    return make_support()
