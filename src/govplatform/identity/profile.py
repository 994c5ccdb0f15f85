"""Values of One Login's relying-party profile that several parts of the provider share (identity.md)."""

from __future__ import annotations

VOCAB = "https://vocab.account.gov.uk/v1/"
VOCAB_CLAIMS = ("coreIdentityJWT", "address", "passport", "drivingPermit", "socialSecurityRecord", "returnCode")
USERINFO_CLAIMS = tuple(VOCAB + name for name in VOCAB_CLAIMS)
# Client assertions and request objects: RSA only (One Login accepts no ES256 from clients).
CLIENT_ASSERTION_ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]
# What /trustmark says the provider can achieve: both credential levels, and the identity levels its proofing
# routes reach (docs/identity-proofing.md: the web routes reach P2 and no higher).
TRUSTMARK_CREDENTIALS = ["Cl", "Cl.Cm"]
TRUSTMARK_LEVELS = ["P0", "P1", "P2"]
