"""A supervision warning keeps its English beside its Chinese (``warning_events.message_en``), so that an
English page shows it in English (issue 21, point 12).

Revision ID: i21e4b6c8d0f2
Revises: i18d2a6c8e0f3
Create Date: 2026-12-06 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "i21e4b6c8d0f2"
down_revision: str | Sequence[str] | None = "i18d2a6c8e0f3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("warning_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_en", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("warning_events", schema=None) as batch_op:
        batch_op.drop_column("message_en")
