"""Recurring check-ins (schedules, occurrences), invitation reminders, organization time zone.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

import app.db
from alembic import op

revision: str = "0010"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("time_zone", sa.String(length=64), server_default="UTC", nullable=False)
        )
    op.create_table(
        "schedules",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("questionnaires", app.db.JSONType, nullable=False),
        sa.Column("every", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("starts_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("expires_in_days", sa.Integer(), nullable=False),
        sa.Column("show_feedback", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("remind_after_days", sa.Integer(), nullable=True),
        sa.Column("max_reminders", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("next_number", sa.Integer(), nullable=False),
        sa.Column("next_due_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("every >= 1", name=op.f("schedules_every_check")),
        sa.CheckConstraint(
            "status IN ('active', 'paused', 'stopped')", name=op.f("schedules_status_check")
        ),
        sa.CheckConstraint("unit IN ('days', 'weeks')", name=op.f("schedules_unit_check")),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("schedules_client_id_fkey"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("schedules_created_by_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("schedules_organization_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("schedules_pkey")),
    )
    for column in ("client_id", "next_due_at", "organization_id", "status"):
        op.create_index(op.f(f"schedules_{column}_idx"), "schedules", [column], unique=False)
    op.create_table(
        "schedule_occurrences",
        sa.Column("schedule_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("due_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("invitation_id", sa.Uuid(), nullable=True),
        sa.Column("sealed_link", sa.Text(), nullable=True),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitations.id"],
            name=op.f("schedule_occurrences_invitation_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name=op.f("schedule_occurrences_schedule_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("schedule_occurrences_pkey")),
        sa.UniqueConstraint(
            "schedule_id", "number", name=op.f("schedule_occurrences_schedule_id_number_key")
        ),
    )
    for column in ("invitation_id", "schedule_id"):
        op.create_index(
            op.f(f"schedule_occurrences_{column}_idx"),
            "schedule_occurrences",
            [column],
            unique=False,
        )
    op.create_table(
        "invitation_reminders",
        sa.Column("invitation_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("after_days", sa.Integer(), nullable=False),
        sa.Column("max_reminders", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("next_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sealed_link", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitations.id"],
            name=op.f("invitation_reminders_invitation_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("invitation_reminders_organization_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("invitation_id", name=op.f("invitation_reminders_pkey")),
    )
    for column in ("next_at", "organization_id"):
        op.create_index(
            op.f(f"invitation_reminders_{column}_idx"),
            "invitation_reminders",
            [column],
            unique=False,
        )


def downgrade() -> None:
    op.drop_table("invitation_reminders")
    op.drop_table("schedule_occurrences")
    op.drop_table("schedules")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("time_zone")
