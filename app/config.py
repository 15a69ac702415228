"""Settings: one class read from the environment (prefix ``ATTUNE_``), cached per process."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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
    database_pool_size: int = Field(
        10, ge=1, description="PostgreSQL connections each worker process keeps open."
    )
    database_max_overflow: int = Field(
        0,
        ge=0,
        description="Connections a worker may open beyond the pool for a burst (each one is "
        "opened and closed per use). A deployment opens at most workers x (pool + overflow).",
    )
    database_pool_timeout_seconds: float = Field(
        5.0, gt=0, description="Longest wait for a free pooled connection; then 503."
    )
    database_connect_timeout_seconds: float = Field(
        5.0, gt=0, description="Longest wait for PostgreSQL to accept a new connection; then 503."
    )
    database_statement_timeout_seconds: float = Field(
        15.0,
        ge=0,
        description="PostgreSQL statement_timeout of every connection (0: none); a statement "
        "that runs longer is cancelled and the request answered 503.",
    )
    readiness_timeout_seconds: float = Field(
        2.0, gt=0, description="/readyz answers 503 when the database has not answered by then."
    )
    database_echo: bool = False
    max_body_bytes: int = Field(64 * 1024, ge=1024, description="Larger request bodies get 413.")
    default_locale: str = "en"
    support_file: Path | None = Field(
        None, description="A support.yaml of your own (crisis lines per region and language)."
    )
    support_region: str | None = Field(
        None,
        pattern=r"^[A-Z]{2}$",
        description="Country (ISO 3166 code) whose support lines readers get when neither "
        "their language tag nor their organization names one.",
    )
    questionnaires_enabled: list[str] = Field(
        default_factory=list,
        description="Ids of questionnaires whose licence needs permission (requires_permission) "
        'that this operator holds, e.g. ["de-jong-gierveld-6"]; the rest stay off.',
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
    login_failures_limit: str = Field(
        "10/15 minutes", description="Wrong passwords for one account from one address."
    )
    login_address_failures_limit: str = Field(
        "50/15 minutes", description="Wrong passwords from one address, any accounts."
    )
    login_account_failures_limit: str = Field(
        "50/15 minutes", description="Wrong passwords for one account, any addresses."
    )
    token_failures_limit: str = Field(
        "20/15 minutes", description="Wrong intake tokens per address."
    )
    password_reset_minutes: int = Field(
        30, ge=5, le=1440, description="How long a 'forgot password' link works (once)."
    )
    password_reset_address_limit: str = Field(
        "10/hour", description="'Forgot password' requests from one address, any emails."
    )
    password_reset_account_limit: str = Field(
        "3/hour", description="'Forgot password' requests for one email, any addresses."
    )
    smtp_url: SecretStr | None = Field(
        None,
        description="Where email goes: smtp://user:password@host:587 (STARTTLS), smtps://… "
        "(implicit TLS) or smtp+plain://host:25 (no TLS). Unset: emails are written as .eml "
        "files to ATTUNE_MAIL_OUTBOX_DIR (development and test only).",
    )
    mail_from: str = Field(
        "attune@localhost", description="The address emails come from (the clinic's name is shown)."
    )
    mail_outbox_dir: Path = Field(
        Path("./outbox"), description="Without ATTUNE_SMTP_URL: the folder emails are written to."
    )
    mail_timeout_seconds: float = Field(30.0, gt=0, description="Per SMTP conversation.")
    mail_max_attempts: int = Field(8, ge=1, description="Tries before an email is failed.")
    respondent_creation_limit: str = Field(
        "100/hour", description="New respondents (app installs) per address."
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated addresses or networks of reverse proxies whose "
        "X-Forwarded-For is believed; none by default.",
    )
    password_hash_workers: int = Field(
        2, ge=1, description="Threads that compute argon2 hashes (64 MiB each while hashing)."
    )
    password_hash_queue: int = Field(
        32, ge=0, description="Sign-ins that may wait for a hashing thread; more get 429."
    )
    http_timeout_keep_alive: int = Field(
        5, ge=1, description="Seconds an idle keep-alive connection stays open."
    )
    http_header_timeout: float = Field(
        10.0, gt=0, description="Seconds a client has to send a request's headers."
    )
    http_max_header_bytes: int = Field(
        16 * 1024, ge=1024, description="Request line plus headers; larger get 431."
    )
    http_limit_concurrency: int = Field(
        1000,
        ge=1,
        description="Connections (or requests in flight) per worker; beyond, new requests get 503.",
    )
    webhook_timeout_seconds: float = Field(5.0, gt=0)
    outbox_poll_seconds: float = Field(
        5.0, ge=0, description="How often due events and emails are sent, schedules ticked; 0: off."
    )
    webhook_max_attempts: int = Field(8, ge=1, description="Tries before an event is failed.")
    webhook_allow_local: bool = Field(
        False,
        description="Allow http and local or private addresses as webhook targets outside "
        "development (for a test receiver); refused in production.",
    )
    outbox_retention_days: int = Field(
        30, ge=1, description="Delivered or failed webhook events are deleted after this."
    )
    audit_retention_days: int = Field(
        2190, ge=1, description="Audit rows are deleted after this (6 years by default)."
    )
    reminder_quiet_start_hour: int = Field(
        21, ge=0, le=23, description="Reminders wait from this hour (organization's zone)…"
    )
    reminder_quiet_end_hour: int = Field(
        8, ge=0, le=23, description="…until this hour; equal to the start: no quiet hours."
    )
    log_level: str = "INFO"
    research_min_cell: int = Field(
        11,
        ge=5,
        description="k: research aggregates suppress any cell counting fewer people (never "
        "below 5: smaller cells single people out). Exports and aggregates of fewer people "
        "are refused.",
    )
    research_max_exports: int = Field(
        2,
        ge=1,
        description="Research exports streaming at once per worker, each on a read-only "
        "connection of its own; one more is refused with 429 and Retry-After.",
    )
    metrics_token: SecretStr | None = Field(
        None,
        description="Bearer token that GET /metrics requires; unset, /metrics answers 404 "
        "(operators only: never give it to clients).",
    )
    log_format: Literal["json", "text"] = Field(
        "json", description="json: one object per line with a request id; text: for a terminal."
    )
    hsts: bool = Field(
        False,
        description="Send Strict-Transport-Security: set it when clients reach the service "
        "over TLS only (off by default: TLS usually ends at a proxy that may set it itself).",
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: list[str]) -> list[str]:
        for part in value:
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError as error:
                raise ValueError(f"{part!r} is not an IP address or network") from error
        return value

    @model_validator(mode="after")
    def _real_secret_outside_development(self) -> Settings:
        secret = self.secret_key.get_secret_value()
        if self.environment != "development" and (secret == DEVELOPMENT_SECRET or len(secret) < 32):
            raise ValueError(
                "ATTUNE_SECRET_KEY must be set to a random value of at least 32 characters "
                f"when ATTUNE_ENVIRONMENT is {self.environment!r}"
            )
        if self.environment == "production" and self.webhook_allow_local:
            raise ValueError("ATTUNE_WEBHOOK_ALLOW_LOCAL cannot be set in production")
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
    def trusted_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """ATTUNE_TRUSTED_PROXIES as networks (an address is a network of one)."""
        return [ipaddress.ip_network(part, strict=False) for part in self.trusted_proxies]

    @property
    def is_sqlite(self) -> bool:
        """Whether the configured database is SQLite."""
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
