"""notify: the platform-owned notify service and its templates, in English and Welsh

The platform sends its own messages (staff invitations and password resets,
citizens' sign-in codes) through notify like any service, from a service of
its own that exists as soon as the database does: created here, so every
database at head has it, on SQLite and PostgreSQL alike, before any process
starts (docs/adr/0013-platform-messages.md). It is live (not in trial mode),
since it writes to people who are not on any team. Its ids are fixed, and
notify's `services/platform_messages.py` finds each template by id, so staff
may edit any word of them, names included, in the Notify template pages.

The text is a copy frozen at this revision, as migrations must be. A
downgrade removes the service, everything notify holds for it, and its
organisation.

Revision ID: 0011
Revises: 0010
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import context, op

from govplatform.core.models import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

ORGANISATION_ID = uuid.UUID("2390b810-5152-43fb-a300-fcba0a4d2534")
SERVICE_ID = uuid.UUID("f6715e34-7f62-4088-acdf-5d9daaa1bff2")
CREATED_BY = "GovPlatform"

# (id, stable name, type, language, subject, content)
TEMPLATES = [
    (
        "4e361ac0-14a6-4dbd-8d53-f6e6d159b498",
        "staff-invitation",
        "email",
        "en",
        "Set up your account for ((service_name))",
        "((invited_by)) has invited you to join ((service_name)).\n\n"
        "Set up your account with this link. It works once and expires in ((hours)) hours:\n\n"
        "((setup_link))\n\n"
        "If you were not expecting this email, you can ignore it.",
    ),
    (
        "bc6c8824-9465-44d4-b2c8-633da375f878",
        "staff-invitation",
        "email",
        "cy",
        "Sefydlu eich cyfrif ar gyfer ((service_name))",
        "Mae ((invited_by)) wedi eich gwahodd i ymuno â ((service_name)).\n\n"
        "Sefydlwch eich cyfrif gyda’r ddolen hon. Mae’n gweithio unwaith ac yn dod i ben ymhen ((hours)) awr:\n\n"
        "((setup_link))\n\n"
        "Os nad oeddech yn disgwyl yr e-bost hwn, gallwch ei anwybyddu.",
    ),
    (
        "435c609d-56de-4354-afd2-6129571e390f",
        "service-invitation",
        "email",
        "en",
        "You have been invited to join ((service_name))",
        "((invited_by)) has invited you to join the team for ((service_name)).\n\n"
        "Sign in to accept or decline the invitation:\n\n"
        "((sign_in_link))\n\n"
        "The invitation expires in ((hours)) hours.",
    ),
    (
        "147dcb3c-361f-4270-8b6d-881382ab1ba0",
        "service-invitation",
        "email",
        "cy",
        "Rydych wedi cael gwahoddiad i ymuno â ((service_name))",
        "Mae ((invited_by)) wedi eich gwahodd i ymuno â’r tîm ar gyfer ((service_name)).\n\n"
        "Mewngofnodwch i dderbyn neu wrthod y gwahoddiad:\n\n"
        "((sign_in_link))\n\n"
        "Mae’r gwahoddiad yn dod i ben ymhen ((hours)) awr.",
    ),
    (
        "9bf204e7-156e-42d9-8d6e-113d233fb64d",
        "staff-password-reset",
        "email",
        "en",
        "Reset your password",
        "Use this link to reset your password. It works once and expires in ((hours)) hours:\n\n"
        "((reset_link))\n\n"
        "If you did not ask to reset your password, you can ignore this email.",
    ),
    (
        "56eb8ce1-8a62-4a53-bb48-2af24e054533",
        "staff-password-reset",
        "email",
        "cy",
        "Ailosod eich cyfrinair",
        "Defnyddiwch y ddolen hon i ailosod eich cyfrinair. Mae’n gweithio unwaith ac yn dod i ben ymhen "
        "((hours)) awr:\n\n"
        "((reset_link))\n\n"
        "Os na wnaethoch ofyn am gael ailosod eich cyfrinair, gallwch anwybyddu’r e-bost hwn.",
    ),
    (
        "d339143c-e9e0-45ae-9851-916028d8cad0",
        "citizen-sign-in-code",
        "email",
        "en",
        "Your sign-in code",
        "((code)) is your sign-in code. Do not share it with anyone.",
    ),
    (
        "71c21cd1-fbbd-47e8-9cbf-d157ad14fe47",
        "citizen-sign-in-code",
        "email",
        "cy",
        "Eich cod mewngofnodi",
        "((code)) yw eich cod mewngofnodi. Peidiwch â’i rannu ag unrhyw un.",
    ),
    (
        "e9318774-4ac0-4e09-9781-e5a4c20d5758",
        "citizen-sign-in-code",
        "sms",
        "en",
        None,
        "((code)) is your sign-in code. Do not share it with anyone.",
    ),
    (
        "6920b70d-d34c-4829-bcf2-6b247a4f30ab",
        "citizen-sign-in-code",
        "sms",
        "cy",
        None,
        "((code)) yw eich cod mewngofnodi. Peidiwch â’i rannu ag unrhyw un.",
    ),
]

# Every table at this revision whose rows belong to a service and which a platform service's use can fill,
# children before parents, for the downgrade. Pay's tables are not here: no one takes payments as the platform,
# and if someone did, their foreign keys refuse the downgrade rather than lose payments.
_SERVICE_ROWS = [
    "notify_template_versions",
    "notify_callback_deliveries",
    "notifications",
    "notify_bulk_sends",
    "notify_templates",
    "notify_callbacks",
    "notify_daily_send_counts",
    "notify_daily_stats",
    "notify_guest_list",
    "notify_inbound_texts",
    "notify_reply_to",
    "notify_sms_senders",
    "notify_token_buckets",
    "notify_settings",
    "team_invitations",
    "service_memberships",
    "api_keys",
]

_ID, _WHEN = sa.Uuid(), UTCDateTime()
organisations = sa.table(
    "organisations", sa.column("id", _ID), sa.column("name", sa.String()), sa.column("created_at", _WHEN)
)
services = sa.table(
    "services",
    sa.column("id", _ID),
    sa.column("organisation_id", _ID),
    sa.column("name", sa.String()),
    sa.column("created_at", _WHEN),
)
notify_settings = sa.table(
    "notify_settings",
    sa.column("service_id", _ID),
    sa.column("updated_at", _WHEN),
    *(
        sa.column(name)
        for name in (
            "restricted",
            "rate_limit",
            "email_daily_limit",
            "sms_daily_limit",
            "international_sms_daily_limit",
            "letter_daily_limit",
            "retention_days",
            "email_sender_local_part",
            "sms_sender",
            "sms_prefix",
            "international_sms",
            "international_letters",
        )
    ),
)


def _template_table(name: str, id_column: str) -> sa.TableClause:
    return sa.table(
        name,
        sa.column(id_column, _ID),
        sa.column("service_id", _ID),
        sa.column("created_at", _WHEN),
        *(sa.column(column) for column in ("type", "name", "subject", "content", "version", "archived", "created_by")),
    )


notify_templates = _template_table("notify_templates", "id")
notify_template_versions = _template_table("notify_template_versions", "template_id")


def _platform_name() -> str:
    settings = context.config.attributes.get("settings")
    return str(getattr(settings, "platform_name", "") or "GovPlatform")[:200]


def _local_part(name: str) -> str:
    dotted = "".join(c if c.isascii() and c.isalnum() else "." for c in name.lower()).strip(".")
    return ".".join(part for part in dotted.split(".") if part)[:64] or "platform"


def upgrade() -> None:
    connection = op.get_bind()
    name = _platform_name()
    now = datetime.now(UTC)
    taken = connection.execute(sa.select(organisations.c.id).where(organisations.c.name == name)).first()
    organisation_name = f"{name} (platform)" if taken else name  # organisation names are unique
    op.bulk_insert(organisations, [{"id": ORGANISATION_ID, "name": organisation_name, "created_at": now}])
    op.bulk_insert(services, [{"id": SERVICE_ID, "organisation_id": ORGANISATION_ID, "name": name, "created_at": now}])
    op.bulk_insert(
        notify_settings,
        [
            {
                "service_id": SERVICE_ID,
                "restricted": False,
                "rate_limit": 3000,
                "email_daily_limit": 250_000,
                "sms_daily_limit": 250_000,
                "international_sms_daily_limit": 100,
                "letter_daily_limit": 20_000,
                "retention_days": 7,
                "email_sender_local_part": _local_part(name),
                "sms_sender": "GOVUK",
                "sms_prefix": True,
                "international_sms": False,
                "international_letters": False,
                "updated_at": now,
            }
        ],
    )
    rows = [
        {
            "service_id": SERVICE_ID,
            "type": kind,
            "name": stable if language == "en" else f"{stable} (cy)",
            "subject": subject,
            "content": content,
            "version": 1,
            "archived": False,
            "created_at": now,
            "created_by": CREATED_BY,
        }
        for _id, stable, kind, language, subject, content in TEMPLATES
    ]
    ids = [uuid.UUID(template[0]) for template in TEMPLATES]
    op.bulk_insert(notify_templates, [{"id": id_, **row} for id_, row in zip(ids, rows, strict=True)])
    op.bulk_insert(notify_template_versions, [{"template_id": id_, **row} for id_, row in zip(ids, rows, strict=True)])


def downgrade() -> None:
    connection = op.get_bind()
    present = set(sa.inspect(connection).get_table_names())
    for name in _SERVICE_ROWS:
        if name in present:
            table = sa.table(name, sa.column("service_id", _ID))
            connection.execute(sa.delete(table).where(table.c.service_id == SERVICE_ID))
    connection.execute(sa.delete(services).where(services.c.id == SERVICE_ID))
    connection.execute(sa.delete(organisations).where(organisations.c.id == ORGANISATION_ID))
