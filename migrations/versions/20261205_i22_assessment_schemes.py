"""i22 考核 schemes, their activations and entered scores

``assessment_schemes`` (versioned scheme definitions as the centres write them), ``scheme_activations`` (which
scheme is in force for a target from which period on) and ``score_entries`` (记分录入 by the supervision office).

Revision ID: i22b3d5f7a9c1
Revises: i26b3d70c41a8
Create Date: 2026-12-05 12:50:00+00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "i22b3d5f7a9c1"
down_revision: str | Sequence[str] | None = "i26b3d70c41a8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assessment_schemes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("target", sa.String(length=20), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_schemes")),
        sa.UniqueConstraint("code", "version", name="uq_assessment_scheme_version"),
    )
    op.create_table(
        "scheme_activations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=20), nullable=False),
        sa.Column("scheme_id", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("activated_by", sa.String(length=200), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["scheme_id"],
            ["assessment_schemes.id"],
            name=op.f("fk_scheme_activations_scheme_id_assessment_schemes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheme_activations")),
    )
    op.create_index("ix_scheme_activation_target", "scheme_activations", ["target", "effective_from"])
    op.create_table(
        "score_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme_code", sa.String(length=64), nullable=False),
        sa.Column("rule_code", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("window", sa.String(length=64), nullable=True),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("attachment_name", sa.String(length=400), nullable=True),
        sa.Column("attachment_sha256", sa.String(length=64), nullable=True),
        sa.Column("attachment_storage", sa.String(length=100), nullable=True),
        sa.Column("entered_by", sa.String(length=200), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_by", sa.String(length=200), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_entries")),
    )
    op.create_index("ix_score_entry_day", "score_entries", ["occurred_on"])


def downgrade() -> None:
    op.drop_index("ix_score_entry_day", table_name="score_entries")
    op.drop_table("score_entries")
    op.drop_index("ix_scheme_activation_target", table_name="scheme_activations")
    op.drop_table("scheme_activations")
    op.drop_table("assessment_schemes")
