"""A counter registration keeps its form's one-time token (``item_applications.submit_token``, unique), so that
a double click on 受理, or two requests sent at once, registers the application once.

Revision ID: j01a3c5e7b9d1
Revises: i21e4b6c8d0f2
Create Date: 2026-12-07 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "j01a3c5e7b9d1"
down_revision: str | Sequence[str] | None = "i21e4b6c8d0f2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("item_applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submit_token", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_item_application_submit_token", ["submit_token"])


def downgrade() -> None:
    with op.batch_alter_table("item_applications", schema=None) as batch_op:
        batch_op.drop_constraint("uq_item_application_submit_token", type_="unique")
        batch_op.drop_column("submit_token")
