"""A numbered notice has its addressee (联办通知: one per related window, each with its own number) and the
record of its re-issues (补发: when and by whom; the first issue stays as it was).

Revision ID: i26b3d70c41a8
Revises: i21b7e3d9a0c4
Create Date: 2026-12-05 13:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision: str = "i26b3d70c41a8"
down_revision: str | Sequence[str] | None = "i21b7e3d9a0c4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("addressee", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("reissues", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("reissues")
        batch_op.drop_column("addressee")
