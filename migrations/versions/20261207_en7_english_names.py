"""Optional English names of the catalogue's items and of the windows (``name_en``): English pages show them
instead of the Chinese name when they are filled.

Revision ID: en7a1b3c5d7e9
Revises: j03c6e8a0b2d4
Create Date: 2026-12-07 21:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "en7a1b3c5d7e9"
down_revision: str | Sequence[str] | None = "j03c6e8a0b2d4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("windows", "catalogue_items")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("name_en", sa.String(length=200), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("name_en")
