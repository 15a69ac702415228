"""One outbox for webhook events and emails; clients can opt out of email.

Webhook deliveries and their tries move into outbox_messages / outbox_attempts (channel
'webhook'), keeping their ids, so an `Attune-Delivery` id a receiver has seen stays the same.
The downgrade moves webhook rows back; emails still in the outbox are dropped with it.

Revision ID: 0009
Revises: 0003
Create Date: 2026-12-01 08:58:35.444292
"""

from collections.abc import Sequence

import sqlalchemy as sa

import app.db
from alembic import op

revision: str = "0009"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_messages",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("payload", app.db.JSONType, nullable=False),
        sa.Column("reference_id", sa.Uuid(), nullable=True),
        sa.Column("dedup_key", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failure", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "channel IN ('webhook', 'email')", name=op.f("outbox_messages_channel_check")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'failed')",
            name=op.f("outbox_messages_status_check"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("outbox_messages_organization_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("outbox_messages_pkey")),
        sa.UniqueConstraint("dedup_key", name=op.f("outbox_messages_dedup_key_key")),
    )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("outbox_messages_next_attempt_at_idx"), ["next_attempt_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("outbox_messages_organization_id_idx"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("outbox_messages_reference_id_idx"), ["reference_id"], unique=False
        )

    op.create_table(
        "outbox_attempts",
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("attempted_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbox_messages.id"],
            name=op.f("outbox_attempts_message_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("outbox_attempts_pkey")),
    )
    with op.batch_alter_table("outbox_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("outbox_attempts_message_id_idx"), ["message_id"], unique=False
        )

    op.execute(
        "INSERT INTO outbox_messages (id, organization_id, channel, kind, payload, status, "
        "attempts, next_attempt_at, created_at, delivered_at) "
        "SELECT id, organization_id, 'webhook', event, payload, status, attempts, "
        "next_attempt_at, created_at, delivered_at FROM webhook_deliveries"
    )
    op.execute(
        "INSERT INTO outbox_attempts (id, message_id, attempted_at, status_code, error) "
        "SELECT id, delivery_id, attempted_at, status_code, error FROM webhook_attempts"
    )

    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("webhook_attempts_delivery_id_idx"))
    op.drop_table("webhook_attempts")
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("webhook_deliveries_next_attempt_at_idx"))
        batch_op.drop_index(batch_op.f("webhook_deliveries_organization_id_idx"))
    op.drop_table("webhook_deliveries")

    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("email_opt_out_at", app.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("email_opt_out_at")

    op.create_table(
        "webhook_deliveries",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("payload", app.db.JSONType, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'failed')",
            name=op.f("webhook_deliveries_status_check"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("webhook_deliveries_organization_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("webhook_deliveries_pkey")),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("webhook_deliveries_next_attempt_at_idx"), ["next_attempt_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("webhook_deliveries_organization_id_idx"), ["organization_id"], unique=False
        )
    op.create_table(
        "webhook_attempts",
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("attempted_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["webhook_deliveries.id"],
            name=op.f("webhook_attempts_delivery_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("webhook_attempts_pkey")),
    )
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("webhook_attempts_delivery_id_idx"), ["delivery_id"], unique=False
        )

    op.execute(
        "INSERT INTO webhook_deliveries (id, organization_id, event, payload, status, attempts, "
        "next_attempt_at, created_at, delivered_at) "
        "SELECT id, organization_id, kind, payload, status, attempts, next_attempt_at, "
        "created_at, delivered_at FROM outbox_messages WHERE channel = 'webhook'"
    )
    op.execute(
        "INSERT INTO webhook_attempts (id, delivery_id, attempted_at, status_code, error) "
        "SELECT a.id, a.message_id, a.attempted_at, a.status_code, a.error "
        "FROM outbox_attempts a JOIN outbox_messages m ON m.id = a.message_id "
        "WHERE m.channel = 'webhook'"
    )

    with op.batch_alter_table("outbox_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("outbox_attempts_message_id_idx"))
    op.drop_table("outbox_attempts")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("outbox_messages_reference_id_idx"))
        batch_op.drop_index(batch_op.f("outbox_messages_organization_id_idx"))
        batch_op.drop_index(batch_op.f("outbox_messages_next_attempt_at_idx"))
    op.drop_table("outbox_messages")
