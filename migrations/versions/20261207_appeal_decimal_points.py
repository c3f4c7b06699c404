"""An appeal keeps the points of its line as they are (``appeals.points`` a float): a −3.5 line was stored as −4.

Revision ID: j03c6e8a0b2d4
Revises: j02b4d6f8a0c2
Create Date: 2026-12-07 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "j03c6e8a0b2d4"
down_revision: str | Sequence[str] | None = "j02b4d6f8a0c2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.alter_column("points", existing_type=sa.Integer(), type_=sa.Float(), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.alter_column("points", existing_type=sa.Float(), type_=sa.Integer(), existing_nullable=False)
