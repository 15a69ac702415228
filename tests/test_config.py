"""Settings refuse to run with the development secret anywhere but development."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.config import DEVELOPMENT_SECRET, Settings


@pytest.mark.parametrize("environment", ["test", "production"])
@pytest.mark.parametrize("secret", [DEVELOPMENT_SECRET, "short-but-not-default", "r" * 31])
def test_outside_development_a_real_secret_is_required(environment: str, secret: str) -> None:
    with pytest.raises(ValidationError, match="ATTUNE_SECRET_KEY"):
        Settings(environment=environment, secret_key=secret)  # type: ignore[arg-type]


def test_development_runs_with_the_default_and_production_with_a_real_one() -> None:
    development = Settings(environment="development", secret_key=DEVELOPMENT_SECRET)  # type: ignore[arg-type]
    production = Settings(
        environment="production",
        secret_key="r" * 32,  # type: ignore[arg-type]
        public_url="https://attune.example.org",
    )
    assert development.environment == "development"
    assert development.secret_key.get_secret_value() == DEVELOPMENT_SECRET
    assert production.environment == "production"
    assert production.secret_key.get_secret_value() == "r" * 32


def test_production_needs_an_explicit_public_url() -> None:
    with pytest.raises(ValidationError, match="ATTUNE_PUBLIC_URL"):
        Settings(environment="production", secret_key="r" * 32)  # type: ignore[arg-type]
    assert Settings(environment="test", secret_key="r" * 32).public_url  # type: ignore[arg-type]
