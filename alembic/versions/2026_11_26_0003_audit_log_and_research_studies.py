"""The audit log, and research studies (stable pseudonyms, designated time detail).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 07:57:32.235951
"""

from collections.abc import Sequence

import sqlalchemy as sa

import app.db
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "audit_events",
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("actor_user_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=True),
        sa.Column("details", app.db.JSONType, nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("audit_events_actor_user_id_fkey"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("audit_events_organization_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("audit_events_pkey")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("audit_events_organization_id_created_at_idx"),
            ["organization_id", "created_at"],
            unique=False,
        )

    op.create_table(
        "studies",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("designation", sa.String(length=32), nullable=False),
        sa.Column("finer_time", sa.String(length=32), nullable=True),
        sa.Column("designated_by", sa.Uuid(), nullable=True),
        sa.Column("designated_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "designation IN ('none', 'limited_data_set', 'expert_determination')",
            name=op.f("studies_designation_check"),
        ),
        sa.CheckConstraint(
            "finer_time IS NULL OR finer_time IN ('week', 'month', 'days_since_first')",
            name=op.f("studies_finer_time_check"),
        ),
        sa.ForeignKeyConstraint(
            ["designated_by"], ["users.id"], name=op.f("studies_designated_by_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("studies_organization_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("studies_pkey")),
        sa.UniqueConstraint(
            "organization_id", "name", name=op.f("studies_organization_id_name_key")
        ),
    )
    with op.batch_alter_table("studies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("studies_organization_id_idx"), ["organization_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("studies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("studies_organization_id_idx"))

    op.drop_table("studies")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("audit_events_organization_id_created_at_idx"))

    op.drop_table("audit_events")
