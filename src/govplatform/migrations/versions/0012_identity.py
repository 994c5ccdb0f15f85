"""identity: citizens, relying parties, signing keys, sign-ins, codes, access tokens, used assertions

The tables of the One Login-compatible provider (issue 15, part 1). Secrets are kept as keyed hashes
(codes, tokens, sign-in cookies, client secrets), argon2id hashes (passwords) or AES-GCM under core's field
cipher (TOTP secrets, the provider's private keys); docs/adr/0017-identity-provider.md says why. A
downgrade drops them all, with every account and client in them.

Revision ID: 0012_identity
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from govplatform.core.models import UTCDateTime

revision: str = "0012_identity"
down_revision: str | None = "0011"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "identity_access_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("citizen_id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("claims", sa.JSON(), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_identity_access_tokens")),
    )
    with op.batch_alter_table("identity_access_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_access_tokens_code_hash"), ["code_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_identity_access_tokens_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "identity_authorisation_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("citizen_id", sa.Uuid(), nullable=False),
        sa.Column("redirect_uri", sa.String(length=2000), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("claims", sa.JSON(), nullable=False),
        sa.Column("nonce", sa.String(length=512), nullable=False),
        sa.Column("credential", sa.String(length=8), nullable=False),
        sa.Column("code_challenge", sa.String(length=128), nullable=True),
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("auth_time", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_identity_authorisation_codes")),
    )
    with op.batch_alter_table("identity_authorisation_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_authorisation_codes_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "identity_citizens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("email_verified", sa.Boolean(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("totp_secret_encrypted", sa.Text(), nullable=True),
        sa.Column("totp_last_step", sa.Integer(), nullable=True),
        sa.Column("phone_number", sa.String(length=20), nullable=True),
        sa.Column("given_name", sa.String(length=255), nullable=True),
        sa.Column("family_name", sa.String(length=255), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("subject_salt", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_citizens")),
        sa.UniqueConstraint("email", name=op.f("uq_identity_citizens_email")),
    )
    op.create_table(
        "identity_sign_ins",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("citizen_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_identity_sign_ins")),
    )
    with op.batch_alter_table("identity_sign_ins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_sign_ins_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "identity_signing_keys",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("alg", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("public_jwk", sa.JSON(), nullable=False),
        sa.Column("private_key_encrypted", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("signing_since", UTCDateTime(timezone=True), nullable=True),
        sa.Column("retired_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_identity_signing_keys")),
    )
    with op.batch_alter_table("identity_signing_keys", schema=None) as batch_op:
        batch_op.create_index("ix_identity_signing_keys_alg_state", ["alg", "state"], unique=False)

    op.create_table(
        "identity_used_assertions",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("jti", sa.String(length=255), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client_id", "jti", name=op.f("pk_identity_used_assertions")),
    )
    with op.batch_alter_table("identity_used_assertions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_used_assertions_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "identity_relying_parties",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("redirect_uris", sa.JSON(), nullable=False),
        sa.Column("post_logout_redirect_uris", sa.JSON(), nullable=False),
        sa.Column("back_channel_logout_uri", sa.String(length=2000), nullable=True),
        sa.Column("public_key_pem", sa.Text(), nullable=True),
        sa.Column("jwks_url", sa.String(length=2000), nullable=True),
        sa.Column("sector", sa.String(length=255), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("claims", sa.JSON(), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.Column("id_token_alg", sa.String(length=8), nullable=False),
        sa.Column("token_auth_method", sa.String(length=32), nullable=False),
        sa.Column("client_secret_hash", sa.String(length=128), nullable=True),
        sa.Column("pkce_required", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_identity_relying_parties_service_id_services")
        ),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_identity_relying_parties")),
    )
    with op.batch_alter_table("identity_relying_parties", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_relying_parties_service_id"), ["service_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("identity_relying_parties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_relying_parties_service_id"))

    op.drop_table("identity_relying_parties")
    with op.batch_alter_table("identity_used_assertions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_used_assertions_expires_at"))

    op.drop_table("identity_used_assertions")
    with op.batch_alter_table("identity_signing_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_identity_signing_keys_alg_state")

    op.drop_table("identity_signing_keys")
    with op.batch_alter_table("identity_sign_ins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_sign_ins_expires_at"))

    op.drop_table("identity_sign_ins")
    op.drop_table("identity_citizens")
    with op.batch_alter_table("identity_authorisation_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_authorisation_codes_expires_at"))

    op.drop_table("identity_authorisation_codes")
    with op.batch_alter_table("identity_access_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_access_tokens_expires_at"))
        batch_op.drop_index(batch_op.f("ix_identity_access_tokens_code_hash"))

    op.drop_table("identity_access_tokens")
