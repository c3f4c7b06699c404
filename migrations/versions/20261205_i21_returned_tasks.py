"""i21 returned tasks

An open task that came back by 退回 (or 撤回) says so: who sent it back, when and why (``open_tasks.returned_*``),
for the inbox's mark and filter and the task page.

Revision ID: i21b7e3d9a0c4
Revises: i17c4a7a1090e
Create Date: 2026-12-05 12:40:00+00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i21b7e3d9a0c4"
down_revision: str | Sequence[str] | None = "i17c4a7a1090e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("open_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("returned_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("return_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("return_kind", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("open_tasks", schema=None) as batch_op:
        batch_op.drop_column("return_kind")
        batch_op.drop_column("return_reason")
        batch_op.drop_column("returned_at")
        batch_op.drop_column("returned_by")
