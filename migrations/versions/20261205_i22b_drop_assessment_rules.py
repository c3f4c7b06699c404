"""i22 drop the old 考核规则 table

Nothing computes with ``assessment_rules`` any more: 考核 reads the schemes (``assessment_schemes``). Its rows
were configuration, not history: every create and change of a rule is kept in the audit trail
(``assessment_rule_created`` / ``assessment_rule_changed``, with the values before and after), and appeals filed
against the old rules keep their rule code as text. The downgrade recreates the table empty.

Revision ID: i22c4e6a8b0d2
Revises: i22b3d5f7a9c1
Create Date: 2026-12-05 13:20:00+00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "i22c4e6a8b0d2"
down_revision: str | Sequence[str] | None = "i22b3d5f7a9c1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table("assessment_rules")


def downgrade() -> None:
    op.create_table(
        "assessment_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("item_kind", sa.String(length=40), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=400), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_rules")),
        sa.UniqueConstraint("code", name=op.f("uq_assessment_rules_code")),
    )
