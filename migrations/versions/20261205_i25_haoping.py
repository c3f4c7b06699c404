"""i25 好差评: five-level ratings per occasion and channel, and the rectification of every 差评

``ratings`` loses its one-per-item constraint for one per item and occasion (一次一评、一事一评) and gains the
channel, the second-level indicators, the window rated and the rater's 实名 details. Existing three-level
ratings keep their codes — 满意, 基本满意 and 不满意 are the same words on the national five-level scale —
and become what they were: the applicant's rating on the progress page at completion, anonymous, of the
item's lead window. ``rectifications`` holds the 整改 of each 差评 (its process, its state and the supervision office's
approvals, kept in line with every step).

Revision ID: i25b7d3f9a1c4
Revises: i22c4e6a8b0d2
Create Date: 2026-12-05 12:50:00+00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "i25b7d3f9a1c4"
down_revision: str | Sequence[str] | None = "i22c4e6a8b0d2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.drop_constraint("uq_ratings_instance_id", type_="unique")
        batch_op.add_column(sa.Column("occasion", sa.String(length=20), nullable=False, server_default="completion"))
        batch_op.add_column(sa.Column("channel", sa.String(length=20), nullable=False, server_default="progress"))
        batch_op.add_column(sa.Column("indicators", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("window", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("named", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("rater_name", sa.String(length=200), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("rater_phone", sa.String(length=40), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("clerk", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint("uq_rating_occasion", ["instance_id", "occasion"])
        batch_op.create_index(batch_op.f("ix_ratings_instance_id"), ["instance_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ratings_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_ratings_window"), ["window"], unique=False)
    # the window an existing rating rated: its item's lead window (主办窗口), as the statistics counted it
    op.execute(
        "UPDATE ratings SET \"window\" = (SELECT lead_window FROM process_instances"
        " WHERE process_instances.id = ratings.instance_id)"
    )
    op.create_table(
        "rectifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rating_id", sa.Integer(), nullable=False),
        sa.Column("process_instance_id", sa.Integer(), nullable=True),
        sa.Column("window", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rectified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revisited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revisit_result", sa.String(length=20), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approvals", sa.JSON(), nullable=False, server_default="[]"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["process_instance_id"],
            ["process_instances.id"],
            name=op.f("fk_rectifications_process_instance_id_process_instances"),
        ),
        sa.ForeignKeyConstraint(
            ["rating_id"], ["ratings.id"], name=op.f("fk_rectifications_rating_id_ratings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rectifications")),
        sa.UniqueConstraint("rating_id", name=op.f("uq_rectifications_rating_id")),
    )
    with op.batch_alter_table("rectifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rectifications_window"), ["window"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rectifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rectifications_window"))
    op.drop_table("rectifications")
    # back to one rating per item on three levels: keep each item's first rating, fold the new levels in
    op.execute("DELETE FROM ratings WHERE id NOT IN (SELECT MIN(id) FROM ratings GROUP BY instance_id)")
    op.execute("UPDATE ratings SET level = 'satisfied' WHERE level = 'very_satisfied'")
    op.execute("UPDATE ratings SET level = 'not_satisfied' WHERE level = 'very_dissatisfied'")
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ratings_window"))
        batch_op.drop_index(batch_op.f("ix_ratings_created_at"))
        batch_op.drop_index(batch_op.f("ix_ratings_instance_id"))
        batch_op.drop_constraint("uq_rating_occasion", type_="unique")
        for column in ("clerk", "rater_phone", "rater_name", "named", "window", "indicators", "channel", "occasion"):
            batch_op.drop_column(column)
        batch_op.create_unique_constraint("uq_ratings_instance_id", ["instance_id"])
