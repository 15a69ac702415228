"""An organization's country and own crisis lines, for the support shown with results.

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-01 09:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

import app.db
from alembic import op

revision: str = "0007"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organizations") as batch:
        batch.add_column(sa.Column("support_country", sa.String(length=2), nullable=True))
        batch.add_column(sa.Column("support_lines", app.db.JSONType, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organizations") as batch:
        batch.drop_column("support_lines")
        batch.drop_column("support_country")
