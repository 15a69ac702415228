"""Staff emails are unique per organization, not across the service.

Across the service, `POST /v1/users` had to refuse an email some other organization uses,
which told any admin who works where. Now each organization has its own staff list; a login
tries every account with the email (app/accounts/service.py).

Revision ID: 0005
Revises: 0009
Create Date: 2026-12-01 09:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("users_email_key"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("users_organization_id_email_key"), ["organization_id", "email"]
        )
        batch_op.create_index(batch_op.f("users_email_idx"), ["email"], unique=False)


def downgrade() -> None:
    # Fails while two organizations share an email: decide whose it is first.
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("users_email_idx"))
        batch_op.drop_constraint(batch_op.f("users_organization_id_email_key"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("users_email_key"), ["email"])
