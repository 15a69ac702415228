"""Encrypt the webhook signing secrets stored in plain text.

Each organization's `webhook_secret` becomes ``fernet:<token>`` under a key derived from
ATTUNE_SECRET_KEY (see app/clinic/encryption.py), so run it with the server's real key. The
downgrade decrypts them again. Values already encrypted are left alone, so it can be rerun.

Revision ID: 0006
Revises: 0007
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from app.clinic.encryption import decrypt_secret, encrypt_secret, is_encrypted
from app.config import Settings

revision: str = "0006"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

organizations = sa.table(
    "organizations", sa.column("id", sa.Uuid()), sa.column("webhook_secret", sa.String(200))
)


def _rewrite(encrypting: bool) -> None:
    key = Settings().secret_key.get_secret_value()
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(organizations.c.id, organizations.c.webhook_secret).where(
            organizations.c.webhook_secret.is_not(None)
        )
    ).all()
    for organization_id, stored in rows:
        if is_encrypted(stored) == encrypting:
            continue
        value = encrypt_secret(key, stored) if encrypting else decrypt_secret(key, stored)
        connection.execute(
            organizations.update()
            .where(organizations.c.id == organization_id)
            .values(webhook_secret=value)
        )


def upgrade() -> None:
    _rewrite(encrypting=True)


def downgrade() -> None:
    _rewrite(encrypting=False)
