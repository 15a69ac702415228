"""Initial schema: definitions, respondents and their tokens, assessments, results.

Revision ID: 0001
Revises:
Create Date: 2026-11-26 06:51:32.583182
"""

from collections.abc import Sequence

import sqlalchemy as sa

import app.db
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "definitions",
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("questionnaire_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("content", app.db.JSONType, nullable=False),
        sa.Column("loaded_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("hash", name=op.f("definitions_pkey")),
        sa.UniqueConstraint(
            "questionnaire_id", "version", name=op.f("definitions_questionnaire_id_version_key")
        ),
    )
    op.create_table(
        "respondents",
        sa.Column("locale", sa.String(length=16), nullable=True),
        sa.Column("research_consent", sa.Boolean(), nullable=False),
        sa.Column("research_consent_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("respondents_pkey")),
    )
    op.create_table(
        "assessments",
        sa.Column("respondent_id", sa.Uuid(), nullable=False),
        sa.Column("questionnaire_id", sa.String(length=64), nullable=False),
        sa.Column("questionnaire_version", sa.String(length=32), nullable=False),
        sa.Column("definition_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("answers", app.db.JSONType, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.Column("answered_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("research_consent", sa.Boolean(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("source IN ('app', 'intake')", name=op.f("assessments_source_check")),
        sa.CheckConstraint(
            "status IN ('in_progress', 'submitted')", name=op.f("assessments_status_check")
        ),
        sa.ForeignKeyConstraint(
            ["definition_hash"], ["definitions.hash"], name=op.f("assessments_definition_hash_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["respondent_id"],
            ["respondents.id"],
            name=op.f("assessments_respondent_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("assessments_pkey")),
        sa.UniqueConstraint(
            "respondent_id", "client_id", name=op.f("assessments_respondent_id_client_id_key")
        ),
    )
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("assessments_respondent_id_submitted_at_idx"),
            ["respondent_id", "submitted_at"],
            unique=False,
        )

    op.create_table(
        "respondent_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("respondent_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["respondent_id"],
            ["respondents.id"],
            name=op.f("respondent_tokens_respondent_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("respondent_tokens_pkey")),
        sa.UniqueConstraint("token_hash", name=op.f("respondent_tokens_token_hash_key")),
    )
    with op.batch_alter_table("respondent_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("respondent_tokens_respondent_id_idx"), ["respondent_id"], unique=False
        )

    op.create_table(
        "results",
        sa.Column("assessment_id", sa.Uuid(), nullable=False),
        sa.Column("definition_hash", sa.String(length=64), nullable=False),
        sa.Column("engine_version", sa.String(length=32), nullable=False),
        sa.Column("score", app.db.JSONType, nullable=False),
        sa.Column("profile", sa.String(length=64), nullable=True),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("results_assessment_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["definition_hash"], ["definitions.hash"], name=op.f("results_definition_hash_fkey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("results_pkey")),
        sa.UniqueConstraint("assessment_id", name=op.f("results_assessment_id_key")),
    )


def downgrade() -> None:

    op.drop_table("results")
    with op.batch_alter_table("respondent_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("respondent_tokens_respondent_id_idx"))

    op.drop_table("respondent_tokens")
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("assessments_respondent_id_submitted_at_idx"))

    op.drop_table("assessments")
    op.drop_table("respondents")
    op.drop_table("definitions")
