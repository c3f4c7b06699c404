"""An online application's 预审 limit that reaches past the known calendar waits for that year's holiday
arrangement (``online_applications.review_due_pending_year``) instead of failing the submission.

Revision ID: j02b4d6f8a0c2
Revises: j01a3c5e7b9d1
Create Date: 2026-12-07 16:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "j02b4d6f8a0c2"
down_revision: str | Sequence[str] | None = "j01a3c5e7b9d1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("online_applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_due_pending_year", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("online_applications", schema=None) as batch_op:
        batch_op.drop_column("review_due_pending_year")
