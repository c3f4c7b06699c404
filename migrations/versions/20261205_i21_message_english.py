"""A message in the message centre keeps its English beside its Chinese (``notifications.message_en``), so that
an English page shows it in English (issue 21, point 12).

Revision ID: i21d8e2f4a6b1
Revises: i25b7d3f9a1c4
Create Date: 2026-12-05 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "i21d8e2f4a6b1"
down_revision: str | Sequence[str] | None = "i25b7d3f9a1c4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_en", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("message_en")
