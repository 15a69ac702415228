"""Settings: one class read from the environment (prefix ``ATTUNE_``), cached per process."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./attune.db"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
DEVELOPMENT_SECRET = "development-only-secret-not-for-real-data"  # noqa: S105 (refused outside development)


class Settings(BaseSettings):
    """Everything an operator can set. Unset values are safe for local development only."""

    model_config = SettingsConfigDict(env_prefix="ATTUNE_", env_nested_delimiter="__")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="SQLAlchemy async URL: sqlite+aiosqlite:///… or postgresql+asyncpg://…",
    )
    database_pool_size: int = Field(10, ge=1)
    database_echo: bool = False
    max_body_bytes: int = Field(64 * 1024, ge=1024, description="Larger request bodies get 413.")
    default_locale: str = "en"
    support_file: Path | None = Field(
        None, description="A support.yaml of your own (crisis lines per locale)."
    )
    cors_origins: list[str] = Field(default_factory=list)
    secret_key: SecretStr = Field(
        SecretStr(DEVELOPMENT_SECRET),
        description="Server-side key that research-study pseudonyms are derived from. Set it "
        "(at least 32 characters) outside development; changing it changes study pseudonyms.",
    )
    public_url: str = Field(
        DEFAULT_PUBLIC_URL,
        description="Base URL of intake links sent to clients. Unset, `attune serve` derives "
        "it from its --host and --port; production refuses to start without it.",
    )
    staff_token_hours: int = Field(12, ge=1, description="Lifetime of a staff login token.")
    rate_limit_storage: str = Field(
        "async+memory://",
        description="limits storage URI; async+redis://host:6379 shares limits across workers.",
    )
    login_failures_limit: str = Field("10/15 minutes", description="Wrong passwords per address.")
    token_failures_limit: str = Field(
        "20/15 minutes", description="Wrong intake tokens per address."
    )
    webhook_timeout_seconds: float = Field(5.0, gt=0)
    webhook_poll_seconds: float = Field(
        5.0, ge=0, description="How often due webhook events are sent; 0 stops the sender."
    )
    webhook_max_attempts: int = Field(8, ge=1, description="Tries before an event is failed.")
    log_level: str = "INFO"
    research_min_cell: int = Field(
        11,
        ge=5,
        description="k: research aggregates suppress any cell counting fewer people (never "
        "below 5: smaller cells single people out).",
    )
    log_format: Literal["json", "text"] = Field(
        "json", description="json: one object per line with a request id; text: for a terminal."
    )
    hsts: bool = Field(
        False,
        description="Send Strict-Transport-Security: set it when clients reach the service "
        "over TLS only (off by default: TLS usually ends at a proxy that may set it itself).",
    )

    @model_validator(mode="after")
    def _real_secret_outside_development(self) -> Settings:
        secret = self.secret_key.get_secret_value()
        if self.environment != "development" and (secret == DEVELOPMENT_SECRET or len(secret) < 32):
            raise ValueError(
                "ATTUNE_SECRET_KEY must be set to a random value of at least 32 characters "
                f"when ATTUNE_ENVIRONMENT is {self.environment!r}"
            )
        return self

    @model_validator(mode="after")
    def _public_url_in_production(self) -> Settings:
        # A derived address is a guess; a guess in a link sent to a client is a dead link.
        if self.environment == "production" and "public_url" not in self.model_fields_set:
            raise ValueError(
                "ATTUNE_PUBLIC_URL must be set in production: the address clients open intake "
                "links at (https://attune.example.org)"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        """Whether the configured database is SQLite."""
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
