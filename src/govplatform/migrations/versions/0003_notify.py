"""Notify: per-service settings, templates and their versions, notifications, guest lists, reply-to
addresses, text message senders, received texts, rate-limit buckets and daily counts, callbacks and
their deliveries, daily statistics kept after retention purges, scheduled runs, and bulk sends.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notify_scheduled_runs",
        sa.Column("task", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("task", "period", name=op.f("pk_notify_scheduled_runs")),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("template_id", sa.Uuid(), nullable=True),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("api_key_id", sa.Uuid(), nullable=True),
        sa.Column("key_type", sa.String(length=8), nullable=False),
        sa.Column("type", sa.String(length=8), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("normalised_recipient", sa.String(length=320), nullable=False),
        sa.Column("reference", sa.String(length=1000), nullable=True),
        sa.Column("personalisation", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_name", sa.String(length=255), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_by", sa.String(length=32), nullable=True),
        sa.Column("provider_reference", sa.String(length=255), nullable=True),
        sa.Column("billable_units", sa.Integer(), nullable=False),
        sa.Column("international", sa.Boolean(), nullable=False),
        sa.Column("rate_multiplier", sa.Double(), nullable=False),
        sa.Column("postage", sa.String(length=16), nullable=True),
        sa.Column("reply_to", sa.String(length=320), nullable=True),
        sa.Column("one_click_unsubscribe_url", sa.Text(), nullable=True),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column("job_row_number", sa.Integer(), nullable=True),
        sa.Column("document", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"], name=op.f("fk_notifications_service_id_services")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_provider_reference", ["provider_reference"], unique=False)
        batch_op.create_index(
            "ix_notifications_service_key_created", ["service_id", "key_type", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_notifications_service_recipient", ["service_id", "normalised_recipient"], unique=False
        )
        batch_op.create_index("ix_notifications_service_reference", ["service_id", "reference"], unique=False)
        batch_op.create_index("ix_notifications_status_created", ["status", "created_at"], unique=False)

    op.create_table(
        "notify_bulk_sends",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("template_id", sa.Uuid(), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=8), nullable=False),
        sa.Column("postage", sa.String(length=16), nullable=True),
        sa.Column("original_file_name", sa.String(length=255), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("processed_rows", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"], name=op.f("fk_notify_bulk_sends_service_id_services")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_bulk_sends")),
    )
    with op.batch_alter_table("notify_bulk_sends", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notify_bulk_sends_service_id"), ["service_id"], unique=False)

    op.create_table(
        "notify_callback_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("callback_type", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_notify_callback_deliveries_service_id_services")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_callback_deliveries")),
    )
    with op.batch_alter_table("notify_callback_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notify_callback_deliveries_service_created", ["service_id", "created_at"], unique=False
        )

    op.create_table(
        "notify_callbacks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("callback_type", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("bearer_token", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"], name=op.f("fk_notify_callbacks_service_id_services")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_callbacks")),
    )
    with op.batch_alter_table("notify_callbacks", schema=None) as batch_op:
        batch_op.create_index("uq_notify_callbacks_service_type", ["service_id", "callback_type"], unique=True)

    op.create_table(
        "notify_daily_send_counts",
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=24), nullable=False),
        sa.Column("shard", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_notify_daily_send_counts_service_id_services")
        ),
        sa.PrimaryKeyConstraint("service_id", "channel", "shard", name=op.f("pk_notify_daily_send_counts")),
    )
    op.create_table(
        "notify_daily_stats",
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("type", sa.String(length=8), nullable=False),
        sa.Column("key_type", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("billable_units", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_notify_daily_stats_service_id_services")
        ),
        sa.PrimaryKeyConstraint("service_id", "day", "type", "key_type", "status", name=op.f("pk_notify_daily_stats")),
    )
    op.create_table(
        "notify_guest_list",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("recipient_type", sa.String(length=8), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"], name=op.f("fk_notify_guest_list_service_id_services")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_guest_list")),
    )
    with op.batch_alter_table("notify_guest_list", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notify_guest_list_service_id"), ["service_id"], unique=False)

    op.create_table(
        "notify_inbound_texts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("user_number", sa.String(length=32), nullable=False),
        sa.Column("notify_number", sa.String(length=32), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("provider_reference", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_notify_inbound_texts_service_id_services")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_inbound_texts")),
    )
    with op.batch_alter_table("notify_inbound_texts", schema=None) as batch_op:
        batch_op.create_index("ix_notify_inbound_texts_service_created", ["service_id", "created_at"], unique=False)

    op.create_table(
        "notify_reply_to",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("email_address", sa.String(length=320), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"], name=op.f("fk_notify_reply_to_service_id_services")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_reply_to")),
    )
    with op.batch_alter_table("notify_reply_to", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notify_reply_to_service_id"), ["service_id"], unique=False)

    op.create_table(
        "notify_settings",
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("restricted", sa.Boolean(), nullable=False),
        sa.Column("rate_limit", sa.Integer(), nullable=False),
        sa.Column("email_daily_limit", sa.Integer(), nullable=False),
        sa.Column("sms_daily_limit", sa.Integer(), nullable=False),
        sa.Column("international_sms_daily_limit", sa.Integer(), nullable=False),
        sa.Column("letter_daily_limit", sa.Integer(), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("email_sender_local_part", sa.String(length=64), nullable=False),
        sa.Column("sms_sender", sa.String(length=11), nullable=False),
        sa.Column("sms_prefix", sa.Boolean(), nullable=False),
        sa.Column("letter_contact_block", sa.Text(), nullable=True),
        sa.Column("international_sms", sa.Boolean(), nullable=False),
        sa.Column("international_letters", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"], name=op.f("fk_notify_settings_service_id_services")),
        sa.PrimaryKeyConstraint("service_id", name=op.f("pk_notify_settings")),
    )
    op.create_table(
        "notify_sms_senders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("sms_sender", sa.String(length=15), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("inbound_number", sa.String(length=15), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_notify_sms_senders_service_id_services")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_sms_senders")),
        sa.UniqueConstraint("inbound_number", name=op.f("uq_notify_sms_senders_inbound_number")),
    )
    with op.batch_alter_table("notify_sms_senders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notify_sms_senders_service_id"), ["service_id"], unique=False)

    op.create_table(
        "notify_templates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("postage", sa.String(length=16), nullable=True),
        sa.Column("letter_contact_block", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"], name=op.f("fk_notify_templates_service_id_services")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_templates")),
    )
    with op.batch_alter_table("notify_templates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notify_templates_service_id"), ["service_id"], unique=False)

    op.create_table(
        "notify_token_buckets",
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("key_type", sa.String(length=8), nullable=False),
        sa.Column("shard", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("refilled_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_notify_token_buckets_service_id_services")
        ),
        sa.PrimaryKeyConstraint("service_id", "key_type", "shard", name=op.f("pk_notify_token_buckets")),
    )
    op.create_table(
        "notify_bulk_chunks",
        sa.Column("bulk_send_id", sa.Uuid(), nullable=False),
        sa.Column("index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("rows", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bulk_send_id"],
            ["notify_bulk_sends.id"],
            name=op.f("fk_notify_bulk_chunks_bulk_send_id_notify_bulk_sends"),
        ),
        sa.PrimaryKeyConstraint("bulk_send_id", "index", name=op.f("pk_notify_bulk_chunks")),
    )
    op.create_table(
        "notify_template_versions",
        sa.Column("template_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("postage", sa.String(length=16), nullable=True),
        sa.Column("letter_contact_block", sa.Text(), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["notify_templates.id"],
            name=op.f("fk_notify_template_versions_template_id_notify_templates"),
        ),
        sa.PrimaryKeyConstraint("template_id", "version", name=op.f("pk_notify_template_versions")),
    )


def downgrade() -> None:
    op.drop_table("notify_template_versions")
    op.drop_table("notify_bulk_chunks")
    op.drop_table("notify_token_buckets")
    with op.batch_alter_table("notify_templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notify_templates_service_id"))

    op.drop_table("notify_templates")
    with op.batch_alter_table("notify_sms_senders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notify_sms_senders_service_id"))

    op.drop_table("notify_sms_senders")
    op.drop_table("notify_settings")
    with op.batch_alter_table("notify_reply_to", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notify_reply_to_service_id"))

    op.drop_table("notify_reply_to")
    with op.batch_alter_table("notify_inbound_texts", schema=None) as batch_op:
        batch_op.drop_index("ix_notify_inbound_texts_service_created")

    op.drop_table("notify_inbound_texts")
    with op.batch_alter_table("notify_guest_list", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notify_guest_list_service_id"))

    op.drop_table("notify_guest_list")
    op.drop_table("notify_daily_stats")
    op.drop_table("notify_daily_send_counts")
    with op.batch_alter_table("notify_callbacks", schema=None) as batch_op:
        batch_op.drop_index("uq_notify_callbacks_service_type")

    op.drop_table("notify_callbacks")
    with op.batch_alter_table("notify_callback_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_notify_callback_deliveries_service_created")

    op.drop_table("notify_callback_deliveries")
    with op.batch_alter_table("notify_bulk_sends", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notify_bulk_sends_service_id"))

    op.drop_table("notify_bulk_sends")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_status_created")
        batch_op.drop_index("ix_notifications_service_reference")
        batch_op.drop_index("ix_notifications_service_recipient")
        batch_op.drop_index("ix_notifications_service_key_created")
        batch_op.drop_index("ix_notifications_provider_reference")

    op.drop_table("notifications")
    op.drop_table("notify_scheduled_runs")
