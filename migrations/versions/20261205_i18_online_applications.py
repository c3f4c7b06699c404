"""i18 网上申报 · 预审 · 预约: online applications, their material files (versions kept), the windows' slot plans and
the appointments; a warning may name an online application (预审 overdue) instead of an item.

Revision ID: i18d2a6c8e0f3
Revises: i21d8e2f4a6b1
Create Date: 2026-12-05 21:30:00+00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i18d2a6c8e0f3"
down_revision: str | Sequence[str] | None = "i21d8e2f4a6b1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "online_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("item_version_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("item_version", sa.Integer(), nullable=False),
        sa.Column("window", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("applicant_type", sa.String(length=20), nullable=False),
        sa.Column("applicant_name", sa.String(length=200), nullable=False),
        sa.Column("applicant_id", sa.String(length=18), nullable=False),
        sa.Column("agent_name", sa.String(length=200), nullable=True),
        sa.Column("agent_id", sa.String(length=18), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("phone_verified_at", AT, nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("code_expires_at", AT, nullable=True),
        sa.Column("code_attempts", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("reviews", sa.JSON(), nullable=False),
        sa.Column("submissions", sa.Integer(), nullable=False),
        sa.Column("no_shows", sa.Integer(), nullable=False),
        sa.Column("review_due", AT, nullable=True),
        sa.Column("review_warned", sa.Boolean(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("created_at", AT, nullable=False),
        sa.Column("updated_at", AT, nullable=False),
        sa.Column("submitted_at", AT, nullable=True),
        sa.Column("reviewed_at", AT, nullable=True),
        sa.Column("reviewed_by", sa.String(length=200), nullable=True),
        sa.Column("received_at", AT, nullable=True),
        sa.Column("received_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["process_instances.id"],
            name=op.f("fk_online_applications_instance_id_process_instances"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["catalogue_items.id"], name=op.f("fk_online_applications_item_id_catalogue_items")
        ),
        sa.ForeignKeyConstraint(
            ["item_version_id"], ["catalogue_item_versions.id"],
            name=op.f("fk_online_applications_item_version_id_catalogue_item_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_online_applications")),
        sa.UniqueConstraint("number", name=op.f("uq_online_applications_number")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_online_applications_token_hash")),
    )  # fmt: skip
    with op.batch_alter_table("online_applications", schema=None) as batch_op:
        batch_op.create_index("ix_online_state_window", ["state", "window"], unique=False)
        batch_op.create_index(batch_op.f("ix_online_applications_item_id"), ["item_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_online_applications_applicant_id"), ["applicant_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_online_applications_phone"), ["phone"], unique=False)
        batch_op.create_index(batch_op.f("ix_online_applications_instance_id"), ["instance_id"], unique=False)
    op.create_table(
        "online_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("material", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=400), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", AT, nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["online_applications.id"],
            name=op.f("fk_online_files_application_id_online_applications"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_online_files")),
    )  # fmt: skip
    with op.batch_alter_table("online_files", schema=None) as batch_op:
        batch_op.create_index("ix_online_file_material", ["application_id", "material"], unique=False)
    op.create_table(
        "slot_plans",
        sa.Column("window", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("periods", sa.JSON(), nullable=False),
        sa.Column("days_ahead", sa.Integer(), nullable=False),
        sa.Column("cutoff_hours", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", AT, nullable=False),
        sa.PrimaryKeyConstraint("window", name=op.f("pk_slot_plans")),
    )
    op.create_table(
        "appointments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("window", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start", sa.String(length=5), nullable=False),
        sa.Column("end", sa.String(length=5), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_at", AT, nullable=False),
        sa.Column("closed_at", AT, nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"], ["online_applications.id"],
            name=op.f("fk_appointments_application_id_online_applications"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
    )  # fmt: skip
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.create_index("ix_appointment_slot", ["window", "day", "start", "state"], unique=False)
        batch_op.create_index(batch_op.f("ix_appointments_application_id"), ["application_id"], unique=False)
    with op.batch_alter_table("warning_events", schema=None) as batch_op:
        batch_op.alter_column("instance_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("online_application_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_warning_events_online_application_id"), ["online_application_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_warning_events_online_application_id_online_applications"),
            "online_applications", ["online_application_id"], ["id"], ondelete="CASCADE",
        )  # fmt: skip


def downgrade() -> None:
    op.execute("DELETE FROM warning_events WHERE instance_id IS NULL")
    with op.batch_alter_table("warning_events", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_warning_events_online_application_id_online_applications"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_warning_events_online_application_id"))
        batch_op.drop_column("online_application_id")
        batch_op.alter_column("instance_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("appointments")
    op.drop_table("slot_plans")
    op.drop_table("online_files")
    op.drop_table("online_applications")
